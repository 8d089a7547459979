/// The Legendre stage of a single field: matrix–vector products against the table, row by row from each
/// row's first significant node.
///
/// With one field the stage is a matrix–vector product over the whole table (748 MB at 721 × 1440 in
/// Double; a Float transform keeps no table and takes `LegendreRecurrence`): bound by memory bandwidth. A GEMM call per row block would pack (copy) the table first and
/// so read it twice; these loops read it once, four rows at a time, with the real and imaginary parts of
/// the field in separate planes so that every load is a full SIMD vector.

/// `products[2r] = Σ_k table[r][k] · real[k]`, `products[2r + 1] = Σ_k table[r][k] · imaginary[k]` over
/// `k ≥ firstNode[r]`, for `r < rows`; table rows are `nhalf` long.
@_specialize(where T == Float)
@_specialize(where T == Double)
func legendreAnalysisSingle<T: BinaryFloatingPoint & SIMDScalar>(
    table: UnsafePointer<T>, rows: Int, nhalf: Int, firstNode: UnsafePointer<Int32>,
    real: UnsafePointer<T>, imaginary: UnsafePointer<T>, into products: UnsafeMutablePointer<T>
) {
    typealias V = SIMD8<T>
    var r = 0
    while r < rows {
        let block = min(4, rows - r)
        var start = nhalf
        for i in 0..<block { start = min(start, Int(firstNode[r + i])) }
        var re0 = V(), re1 = V(), re2 = V(), re3 = V()
        var im0 = V(), im1 = V(), im2 = V(), im3 = V()
        let a0 = table + r * nhalf
        // Rows past the block's end read row 0 again (harmless, discarded) to keep one loop body.
        let a1 = table + (block > 1 ? r + 1 : r) * nhalf
        let a2 = table + (block > 2 ? r + 2 : r) * nhalf
        let a3 = table + (block > 3 ? r + 3 : r) * nhalf
        var k = start
        while k + 8 <= nhalf {
            let x = UnsafeRawPointer(real + k).loadUnaligned(as: V.self)
            let y = UnsafeRawPointer(imaginary + k).loadUnaligned(as: V.self)
            let p0 = UnsafeRawPointer(a0 + k).loadUnaligned(as: V.self)
            let p1 = UnsafeRawPointer(a1 + k).loadUnaligned(as: V.self)
            let p2 = UnsafeRawPointer(a2 + k).loadUnaligned(as: V.self)
            let p3 = UnsafeRawPointer(a3 + k).loadUnaligned(as: V.self)
            re0 += p0 * x; im0 += p0 * y
            re1 += p1 * x; im1 += p1 * y
            re2 += p2 * x; im2 += p2 * y
            re3 += p3 * x; im3 += p3 * y
            k += 8
        }
        // Four rows' sums, then the tail past the last full vector.
        @inline(__always) func finish(_ i: Int, _ re: T, _ im: T) {
            guard i < block else { return }
            var x = re, y = im
            for j in k..<nhalf {
                x += table[(r + i) * nhalf + j] * real[j]
                y += table[(r + i) * nhalf + j] * imaginary[j]
            }
            products[2 * (r + i)] = x
            products[2 * (r + i) + 1] = y
        }
        finish(0, re0.sum(), im0.sum())
        finish(1, re1.sum(), im1.sum())
        finish(2, re2.sum(), im2.sum())
        finish(3, re3.sum(), im3.sum())
        r += block
    }
}

/// `real[k] = Σ_r table[r][k] · coefficients[2r]`, `imaginary[k] = Σ_r table[r][k] · coefficients[2r + 1]`
/// for `k < nhalf`, each row from its first significant node (zero where no row reaches).
@_specialize(where T == Float)
@_specialize(where T == Double)
func legendreSynthesisSingle<T: BinaryFloatingPoint & SIMDScalar>(
    table: UnsafePointer<T>, rows: Int, nhalf: Int, firstNode: UnsafePointer<Int32>,
    coefficients: UnsafePointer<T>, real: UnsafeMutablePointer<T>, imaginary: UnsafeMutablePointer<T>
) {
    typealias V = SIMD8<T>
    real.update(repeating: 0, count: nhalf)
    imaginary.update(repeating: 0, count: nhalf)
    var r = 0
    while r < rows {
        let block = min(4, rows - r)
        var start = nhalf
        for i in 0..<block { start = min(start, Int(firstNode[r + i])) }
        // Rows past the block's end get zero weights.
        @inline(__always) func weight(_ i: Int, _ part: Int) -> T { i < block ? coefficients[2 * (r + i) + part] : 0 }
        let x0 = V(repeating: weight(0, 0)), x1 = V(repeating: weight(1, 0))
        let x2 = V(repeating: weight(2, 0)), x3 = V(repeating: weight(3, 0))
        let y0 = V(repeating: weight(0, 1)), y1 = V(repeating: weight(1, 1))
        let y2 = V(repeating: weight(2, 1)), y3 = V(repeating: weight(3, 1))
        let a0 = table + r * nhalf
        let a1 = table + (block > 1 ? r + 1 : r) * nhalf
        let a2 = table + (block > 2 ? r + 2 : r) * nhalf
        let a3 = table + (block > 3 ? r + 3 : r) * nhalf
        var k = start
        while k + 8 <= nhalf {
            let p0 = UnsafeRawPointer(a0 + k).loadUnaligned(as: V.self)
            let p1 = UnsafeRawPointer(a1 + k).loadUnaligned(as: V.self)
            let p2 = UnsafeRawPointer(a2 + k).loadUnaligned(as: V.self)
            let p3 = UnsafeRawPointer(a3 + k).loadUnaligned(as: V.self)
            var re = UnsafeRawPointer(real + k).loadUnaligned(as: V.self)
            var im = UnsafeRawPointer(imaginary + k).loadUnaligned(as: V.self)
            re += p0 * x0; im += p0 * y0
            re += p1 * x1; im += p1 * y1
            re += p2 * x2; im += p2 * y2
            re += p3 * x3; im += p3 * y3
            UnsafeMutableRawPointer(real + k).storeBytes(of: re, as: V.self)
            UnsafeMutableRawPointer(imaginary + k).storeBytes(of: im, as: V.self)
            k += 8
        }
        for j in k..<nhalf {
            for i in 0..<block {
                let p = table[(r + i) * nhalf + j]
                real[j] += p * weight(i, 0)
                imaginary[j] += p * weight(i, 1)
            }
        }
        r += block
    }
}
