import ComplexModule
import Kernels

/// The north/south fold of a latitude pair's spectra fused with their turn into runs of fields per order,
/// and the inverse (unfold) fused with the turn back — in tiles of 4 fields × 4 orders held in SIMD
/// registers.
///
/// The batch path's Fourier stage first folded a pair's spectra in place and then transposed them with
/// scalar element copies: perf put the fold loops (not vectorised: the compiler could not rule out that the
/// two halves overlap) and the copies at 10 % of a batch-64 forward transform at 721 × 1440. Here each tile
/// is read once (four orders of a field, 32 bytes in Float), folded lane by lane and written as four
/// orders' runs of four fields. The arithmetic is the scalar fold's, `w (N + S)` and `w (N − S)` (unfold
/// `E + O`, `E − O`), lane by lane, so the results are bitwise those of the plain path.
///
/// Layouts, in complex elements: `north`, `south` `[fields][rowStride]` (a field's orders contiguous);
/// `even`, `odd` `[orders][stride]` (an order's fields contiguous).

/// `even[m][i] = w (N[i][m] + S[i][m])`, `odd[m][i] = w (N[i][m] − S[i][m])` for `i < fields`, `m < orders`;
/// without `south` (the equator of an odd grid) `even = w N` and `odd = 0`.
@inline(__always)
func foldAndTurn<T: SHTScalar>(north: UnsafePointer<Complex<T>>, south: UnsafePointer<Complex<T>>?, rowStride: Int,
                               fields: Int, orders: Int, weight w: T,
                               even: UnsafeMutablePointer<Complex<T>>, odd: UnsafeMutablePointer<Complex<T>>, stride: Int) {
    typealias V = SIMD8<T>   // four complex values
    let n = UnsafeRawPointer(north), s = south.map(UnsafeRawPointer.init)
    let e = UnsafeMutableRawPointer(even), o = UnsafeMutableRawPointer(odd)
    let fullFields = fields / 4 * 4, fullOrders = orders / 4 * 4
    @inline(__always) func load(_ base: UnsafeRawPointer, _ i: Int, _ m: Int) -> V {
        loadTileRow(base, row: i, column: m, stride: rowStride)
    }
    @inline(__always) func store(_ r0: V, _ r1: V, _ r2: V, _ r3: V, to base: UnsafeMutableRawPointer, _ i: Int, _ m: Int) {
        storeTurned(r0, r1, r2, r3, to: base, row: m, column: i, stride: stride)
    }
    var i = 0
    while i < fullFields {
        var m = 0
        while m < fullOrders {
            let n0 = load(n, i, m), n1 = load(n, i + 1, m), n2 = load(n, i + 2, m), n3 = load(n, i + 3, m)
            if let s {
                let s0 = load(s, i, m), s1 = load(s, i + 1, m), s2 = load(s, i + 2, m), s3 = load(s, i + 3, m)
                store(w * (n0 + s0), w * (n1 + s1), w * (n2 + s2), w * (n3 + s3), to: e, i, m)
                store(w * (n0 - s0), w * (n1 - s1), w * (n2 - s2), w * (n3 - s3), to: o, i, m)
            } else {
                store(w * n0, w * n1, w * n2, w * n3, to: e, i, m)
                store(V(), V(), V(), V(), to: o, i, m)
            }
            m += 4
        }
        i += 4
    }
    // The edges: orders past the last full tile of the full tiles' fields, then the fields past them.
    @inline(__always) func single(_ i: Int, _ m: Int) {
        let north = north[i * rowStride + m]
        if let south {
            let south = south[i * rowStride + m]
            even[m * stride + i] = Complex(w * (north.real + south.real), w * (north.imaginary + south.imaginary))
            odd[m * stride + i] = Complex(w * (north.real - south.real), w * (north.imaginary - south.imaginary))
        } else {
            even[m * stride + i] = Complex(w * north.real, w * north.imaginary)
            odd[m * stride + i] = .zero
        }
    }
    for i in 0..<fullFields { for m in fullOrders..<orders { single(i, m) } }
    for i in fullFields..<fields { for m in 0..<orders { single(i, m) } }
}

/// The inverse of `foldAndTurn` without the weight: `N[i][m] = E[m][i] + O[m][i]`, `S[i][m] = E[m][i] −
/// O[m][i]`; without `south`, only the northern row.
@inline(__always)
func turnAndUnfold<T: SHTScalar>(even: UnsafePointer<Complex<T>>, odd: UnsafePointer<Complex<T>>, stride: Int,
                                 fields: Int, orders: Int,
                                 north: UnsafeMutablePointer<Complex<T>>, south: UnsafeMutablePointer<Complex<T>>?,
                                 rowStride: Int) {
    typealias V = SIMD8<T>
    let e = UnsafeRawPointer(even), o = UnsafeRawPointer(odd)
    let n = UnsafeMutableRawPointer(north), s = south.map(UnsafeMutableRawPointer.init)
    let fullFields = fields / 4 * 4, fullOrders = orders / 4 * 4
    @inline(__always) func load(_ base: UnsafeRawPointer, _ m: Int, _ i: Int) -> V {
        loadTileRow(base, row: m, column: i, stride: stride)
    }
    @inline(__always) func store(_ r0: V, _ r1: V, _ r2: V, _ r3: V, to base: UnsafeMutableRawPointer, _ m: Int, _ i: Int) {
        storeTurned(r0, r1, r2, r3, to: base, row: i, column: m, stride: rowStride)
    }
    var m = 0
    while m < fullOrders {
        var i = 0
        while i < fullFields {
            let e0 = load(e, m, i), e1 = load(e, m + 1, i), e2 = load(e, m + 2, i), e3 = load(e, m + 3, i)
            let o0 = load(o, m, i), o1 = load(o, m + 1, i), o2 = load(o, m + 2, i), o3 = load(o, m + 3, i)
            store(e0 + o0, e1 + o1, e2 + o2, e3 + o3, to: n, m, i)
            if let s { store(e0 - o0, e1 - o1, e2 - o2, e3 - o3, to: s, m, i) }
            i += 4
        }
        m += 4
    }
    @inline(__always) func single(_ m: Int, _ i: Int) {
        let e = even[m * stride + i], o = odd[m * stride + i]
        north[i * rowStride + m] = Complex(e.real + o.real, e.imaginary + o.imaginary)
        south?[i * rowStride + m] = Complex(e.real - o.real, e.imaginary - o.imaginary)
    }
    for m in 0..<fullOrders { for i in fullFields..<fields { single(m, i) } }
    for m in fullOrders..<orders { for i in 0..<fields { single(m, i) } }
}

/// Four complex values from `column` of `row` of a `[rows][stride]` complex array.
@inline(__always)
private func loadTileRow<T: SHTScalar>(_ base: UnsafeRawPointer, row: Int, column: Int, stride: Int) -> SIMD8<T> {
    base.loadUnaligned(fromByteOffset: (row &* stride &+ column) &* MemoryLayout<Complex<T>>.stride, as: SIMD8<T>.self)
}

/// The tile of rows `r0 … r3` turned (`turned`) and stored as rows `row … row + 3` from `column` of a
/// `[rows][stride]` complex array.
@inline(__always)
private func storeTurned<T: SHTScalar>(_ r0: SIMD8<T>, _ r1: SIMD8<T>, _ r2: SIMD8<T>, _ r3: SIMD8<T>,
                                       to base: UnsafeMutableRawPointer, row: Int, column: Int, stride: Int) {
    let size = MemoryLayout<Complex<T>>.stride
    let t = turned(r0, r1, r2, r3)
    base.storeBytes(of: t.0, toByteOffset: (row &* stride &+ column) &* size, as: SIMD8<T>.self)
    base.storeBytes(of: t.1, toByteOffset: ((row &+ 1) &* stride &+ column) &* size, as: SIMD8<T>.self)
    base.storeBytes(of: t.2, toByteOffset: ((row &+ 2) &* stride &+ column) &* size, as: SIMD8<T>.self)
    base.storeBytes(of: t.3, toByteOffset: ((row &+ 3) &* stride &+ column) &* size, as: SIMD8<T>.self)
}

/// A 4 × 4 tile of complex values turned: row j of the result is element j of each of the four rows.
/// In Float a complex value is one 64-bit lane, and the turn is the 4 × 4 transpose of doubles that the
/// compiler makes of unpacks and lane permutes (element-wise picks of the Float lanes compiled to single
/// 8-byte loads and were slower than the scalar copies they replaced).
@inline(__always)
func turned<T: SHTScalar>(_ r0: SIMD8<T>, _ r1: SIMD8<T>, _ r2: SIMD8<T>, _ r3: SIMD8<T>)
    -> (SIMD8<T>, SIMD8<T>, SIMD8<T>, SIMD8<T>) {
    if T.self == Float.self {
        typealias D = SIMD4<Double>
        let t = transposed4x4(unsafeBitCast(r0, to: D.self), unsafeBitCast(r1, to: D.self),
                              unsafeBitCast(r2, to: D.self), unsafeBitCast(r3, to: D.self))
        return (unsafeBitCast(t.0, to: SIMD8<T>.self), unsafeBitCast(t.1, to: SIMD8<T>.self),
                unsafeBitCast(t.2, to: SIMD8<T>.self), unsafeBitCast(t.3, to: SIMD8<T>.self))
    }
    @inline(__always) func row(_ j: Int) -> SIMD8<T> {
        SIMD8<T>(r0[2 * j], r0[2 * j + 1], r1[2 * j], r1[2 * j + 1], r2[2 * j], r2[2 * j + 1], r3[2 * j], r3[2 * j + 1])
    }
    return (row(0), row(1), row(2), row(3))
}
