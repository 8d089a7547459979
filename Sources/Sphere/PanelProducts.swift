/// Matrix products with a narrow right-hand side (4 or 8 columns: one or two vector fields), the shape of the
/// vector SHT's Legendre stage for small batches. OpenBLAS packs both operands on every call, which for so
/// few columns costs more than the multiply; these loops stream the table once, keep the panel in L1 and
/// accumulate in SIMD registers. Float64 only; callers fall back to `gemm` otherwise.
enum PanelProducts {
    /// `c[r][0 ..< 4w] = Σ_k a[r][k] · b[k][0 ..< 4w]` for `r < rows`, `w = chunks ∈ {1, 2}`.
    /// - a: `[rows][lda]`, b: `[depth][4w]`, c: `[rows][4w]`
    static func rowsTimesPanel(rows: Int, depth: Int, chunks: Int, a: UnsafePointer<Double>, lda: Int,
                               b: UnsafePointer<Double>, c: UnsafeMutablePointer<Double>) {
        let panel = UnsafeRawPointer(b)
        let out = UnsafeMutableRawPointer(c)
        let width = 4 * chunks
        if chunks == 1 {
            for r in 0..<rows {
                let row = a + r * lda
                var even = SIMD4<Double>(), odd = SIMD4<Double>()
                var k = 0
                while k + 1 < depth {
                    even += row[k] * panel.loadUnaligned(fromByteOffset: k * 32, as: SIMD4<Double>.self)
                    odd += row[k + 1] * panel.loadUnaligned(fromByteOffset: (k + 1) * 32, as: SIMD4<Double>.self)
                    k += 2
                }
                if k < depth { even += row[k] * panel.loadUnaligned(fromByteOffset: k * 32, as: SIMD4<Double>.self) }
                out.storeBytes(of: even + odd, toByteOffset: r * width * 8, as: SIMD4<Double>.self)
            }
        } else {
            precondition(chunks == 2, "PanelProducts: \(chunks) chunks")
            for r in 0..<rows {
                let row = a + r * lda
                var low = SIMD4<Double>(), high = SIMD4<Double>()
                for k in 0..<depth {
                    let x = row[k]
                    low += x * panel.loadUnaligned(fromByteOffset: k * 64, as: SIMD4<Double>.self)
                    high += x * panel.loadUnaligned(fromByteOffset: k * 64 + 32, as: SIMD4<Double>.self)
                }
                out.storeBytes(of: low, toByteOffset: r * 64, as: SIMD4<Double>.self)
                out.storeBytes(of: high, toByteOffset: r * 64 + 32, as: SIMD4<Double>.self)
            }
        }
    }
}
