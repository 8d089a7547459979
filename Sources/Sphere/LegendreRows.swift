/// Rows of the Float Legendre table regenerated from the restart pairs, a block at a time, for the batch
/// GEMMs.
///
/// A batch's GEMMs use each table entry for every field, but still stream the whole table (374 MB at 721 ×
/// 1440, lmax 720) from memory on every transform, and OpenBLAS packs every block of it on the way: at batch
/// 64 the packing was 7 % (forward) and 14 % (inverse) of the transform, about what the multiplications
/// took, bound by memory bandwidth that this machine shares with other tenants. Regenerating a block of rows
/// from `LegendreSeeds` costs three Float64 operations per entry, a few percent of the block's GEMM, and
/// leaves it in L2 for the packing; the transform need not keep the table at all.
///
/// The values are bitwise the table's: `LegendreTable` runs the same recurrence with the same operations
/// (`recurrenceStep`), and a restart pair is the table loop's own pair of Float64 values, so the Float
/// rounding and the cut to zero below `Float.leastNormalMagnitude` see the same numbers. The transforms
/// therefore give the same bits whichever they read, and the distributed transform, which reads the same
/// blocks, still matches the serial one bit for bit.

/// One step of the three-term recurrence, `P̄_l = a_l x P̄_{l−1} − b_l P̄_{l−2}`, in the one order of
/// operations that the table and the on-the-fly kernels share.
@inline(__always)
func recurrenceStep<V: SIMD>(a: V.Scalar, b: V.Scalar, x: V, previous: V, current: V) -> V
    where V.Scalar: FloatingPoint {
    (-b * previous).addingProduct(a * x, current)
}

@inline(__always)
func recurrenceStep(a: Double, b: Double, x: Double, previous: Double, current: Double) -> Double {
    (-b * previous).addingProduct(a * x, current)
}

extension LegendreSeeds {
    /// Writes the table's rows of order m for the degrees `degrees` (`degrees.lowerBound − m` a multiple of
    /// `segment`) at the nodes from `fromNode` (rounded down to a multiple of 8) to `stride`: degree l to
    /// `even + ((l − lower) / 2) · rowStride` when `l − m` is even, else to `odd + ((l − lower − 1) / 2) ·
    /// rowStride`. Nodes past `nhalf` get zeros. `rowStride ≥ stride`.
    func regenerateRows(m: Int, degrees: Range<Int>, fromNode: Int, even: UnsafeMutablePointer<Float>,
                        odd: UnsafeMutablePointer<Float>, rowStride: Int) {
        typealias V = SIMD4<Double>
        precondition((degrees.lowerBound - m) % Self.segment == 0, "LegendreSeeds.regenerateRows: degrees \(degrees) do not start a segment of order \(m)")
        @inline(__always) func load(_ p: UnsafePointer<Double>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        let tiny = Double(Float.leastNormalMagnitude)
        // The table's Float: zero below Float's normal range, else the rounded value.
        @inline(__always) func store(_ low: V, _ high: V, to p: UnsafeMutablePointer<Float>) {
            let cutLow = low.replacing(with: 0, where: (low .< tiny) .& (low .> -tiny))
            let cutHigh = high.replacing(with: 0, where: (high .< tiny) .& (high .> -tiny))
            let raw = UnsafeMutableRawPointer(p)
            raw.storeBytes(of: SIMD4<Float>(cutLow), as: SIMD4<Float>.self)
            raw.storeBytes(of: SIMD4<Float>(cutHigh), toByteOffset: 16, as: SIMD4<Float>.self)
        }
        let start = max(0, fromNode) / 8 * 8
        forEachSegment(m: m) { segment in
            let (l0, pair, x, a, b) = (segment.l0, segment.pair, segment.x, segment.a, segment.b)
            guard degrees.contains(l0) else { return }
            let count = min(segment.count, degrees.upperBound - l0)
            let evenRows = even + ((l0 - degrees.lowerBound) / 2) * rowStride
            let oddRows = odd + ((l0 - degrees.lowerBound) / 2) * rowStride
            var k = start
            while k < stride {
                let x0 = load(x + k), x1 = load(x + k + 4)
                var p0 = load(pair + k), q0 = load(pair + k + 4)                     // P̄_{l−2}
                var p1 = load(pair + stride + k), q1 = load(pair + stride + k + 4)   // P̄_{l−1}
                store(p0, q0, to: evenRows + k)
                if count > 1 { store(p1, q1, to: oddRows + k) }
                var i = 2
                while i < count {
                    let p = recurrenceStep(a: a[i], b: b[i], x: x0, previous: p0, current: p1)
                    let q = recurrenceStep(a: a[i], b: b[i], x: x1, previous: q0, current: q1)
                    store(p, q, to: evenRows + (i / 2) * rowStride + k)
                    p0 = p1; q0 = q1; p1 = p; q1 = q
                    guard i + 1 < count else { break }
                    let r = recurrenceStep(a: a[i + 1], b: b[i + 1], x: x0, previous: p0, current: p1)
                    let s = recurrenceStep(a: a[i + 1], b: b[i + 1], x: x1, previous: q0, current: q1)
                    store(r, s, to: oddRows + (i / 2) * rowStride + k)
                    p0 = p1; q0 = q1; p1 = r; q1 = s
                    i += 2
                }
                k += 8
            }
        }
    }
}
