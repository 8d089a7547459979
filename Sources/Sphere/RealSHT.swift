import ComplexModule
import Foundation
import Kernels
import RealModule

/// Precision of a spherical harmonic transform: Float (the SFNO) or Double (the shallow-water model).
public typealias SHTScalar = FFTScalar & GEMMScalar

/// The real spherical harmonic transform of torch-harmonics (`RealSHT` / `InverseRealSHT`, `norm="ortho"`,
/// Condon–Shortley phase) on a batch of fields.
///
/// Forward: `x̂[k, m] = (2π/nlon) Σ_j x[k, j] e^{−2πi jm/nlon}`, then
/// `a[l, m] = Σ_k x̂[k, m] P̄_l^m(cos θ_k) w_k` for `l < lmax`, `m < mmax`.
/// Inverse: `x̂[k, m] = Σ_l a[l, m] P̄_l^m(cos θ_k)`, then `x[k, j] = Σ_m x̂[k, m] e^{2πi jm/nlon}` over the
/// Hermitian spectrum (the imaginary parts at m = 0 and at the Nyquist frequency are ignored).
///
/// How: one batched FFTW r2c/c2r for the longitudes; then, per m, the north/south pairs are folded into
/// their even and odd parts (`P̄_l^m(−x) = (−1)^{l+m} P̄_l^m(x)`) and the Legendre stage is two GEMMs on
/// half the latitudes — half the flops of the plain contraction. Tables and plans are built once.
///
/// - fields: `[batch][nlat][nlon]`, latitudes north → south
/// - coefficients: `[batch][lmax][mmax]` complex, zero where `m > l`
public final class RealSHT<T: SHTScalar>: @unchecked Sendable {
    public let grid: SphereGrid
    public let nlat: Int
    public let nlon: Int
    public let lmax: Int
    public let mmax: Int
    public let quadrature: Quadrature

    /// Northern nodes including the equator for odd nlat.
    let nhalf: Int
    let table: LegendreTable<T>
    /// Quadrature weights of the northern nodes in T, with the FFT's 2π/nlon folded in.
    let scaledWeights: [T]
    private var plans: [Int: RealFFT<T>] = [:]
    private let planLock = NSLock()

    /// - Parameters:
    ///   - lmax: degrees kept (exclusive), `1 ... nlat`; default: the grid's natural truncation.
    ///   - mmax: orders kept (exclusive), `1 ... nlon/2 + 1`; default: `lmax` (triangular truncation, as
    ///     torch-harmonics).
    public init(grid: SphereGrid, nlat: Int, nlon: Int, lmax: Int? = nil, mmax: Int? = nil) throws {
        guard nlat >= 2, nlon >= 2 else {
            throw SphereError("SHT grid \(nlat) × \(nlon) is too small: need at least 2 latitudes and 2 longitudes")
        }
        let lmax = lmax ?? min(grid.naturalDegreeCount(nlat: nlat), nlon / 2 + 1)
        let mmax = mmax ?? lmax
        guard (1...nlat).contains(lmax) else {
            throw SphereError("lmax \(lmax) is outside 1 ... nlat = \(nlat) for the \(nlat) × \(nlon) \(grid) grid")
        }
        guard (1...(nlon / 2 + 1)).contains(mmax) else {
            throw SphereError("mmax \(mmax) is outside 1 ... nlon/2 + 1 = \(nlon / 2 + 1) for the \(nlat) × \(nlon) \(grid) grid")
        }
        self.grid = grid
        self.nlat = nlat
        self.nlon = nlon
        self.lmax = lmax
        self.mmax = mmax
        quadrature = Quadrature(grid: grid, nlat: nlat)
        nhalf = (nlat + 1) / 2
        table = LegendreTable<T>(lmax: lmax, mmax: mmax, cosTheta: quadrature.cosTheta[0..<nhalf])
        let scale = 2 * Double.pi / Double(nlon)
        let weights = quadrature.weights
        scaledWeights = (0..<nhalf).map { T(weights[$0] * scale) }
    }

    /// Bytes held by the Legendre table.
    public var tableBytes: Int { table.values.count * MemoryLayout<T>.stride }

    /// The FFT plan for `rows` latitude rows (made on first use, then reused; FFTW_MEASURE for large ones).
    func fft(rows: Int) -> RealFFT<T> {
        planLock.lock()
        defer { planLock.unlock() }
        if let plan = plans[rows] { return plan }
        let plan = RealFFT<T>(length: nlon, batch: rows, rigor: rows * nlon > 1 << 16 ? .measure : .estimate)
        plans[rows] = plan
        return plan
    }

    // MARK: - Forward

    /// Coefficients of `batch` fields.
    /// - fields: `[batch][nlat][nlon]`
    /// - coefficients: `[batch][lmax][mmax]`, overwritten
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func forward(_ fields: UnsafeBufferPointer<T>, _ coefficients: UnsafeMutableBufferPointer<Complex<T>>,
                        batch: Int) {
        precondition(fields.count == batch * nlat * nlon,
                     "RealSHT.forward: fields hold \(fields.count) values, expected \(batch) × \(nlat) × \(nlon)")
        precondition(coefficients.count == batch * lmax * mmax,
                     "RealSHT.forward: coefficients hold \(coefficients.count), expected \(batch) × \(lmax) × \(mmax)")
        let plan = fft(rows: batch * nlat)
        let mlen = nlon / 2 + 1
        let input = AlignedBuffer<T>(count: batch * nlat * nlon)
        input.buffer.baseAddress!.update(from: fields.baseAddress!, count: fields.count)
        let spectrum = AlignedBuffer<Complex<T>>(count: batch * nlat * mlen)
        plan.forward(input.pointer, spectrum.pointer)
        legendreAnalysis(spectrum: UnsafeBufferPointer(spectrum.buffer), rowLength: mlen, batch: batch,
                         orders: 0..<mmax, into: coefficients, coefficientOrders: 0..<mmax)
    }

    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func forward(_ fields: [T], batch: Int) -> [Complex<T>] {
        [Complex<T>](unsafeUninitializedCapacity: batch * lmax * mmax) { out, n in
            fields.withUnsafeBufferPointer { forward($0, out, batch: batch) }
            n = batch * lmax * mmax
        }
    }

    /// The Legendre stage of the forward transform for a subset of orders (the hook distribution uses).
    ///
    /// - spectrum: `[batch][nlat][rowLength]` complex Fourier coefficients (unscaled FFTW output); column
    ///   `m − orders.lowerBound` holds order m.
    /// - coefficients: `[batch][lmax][coefficientOrders.count]`; column `m − coefficientOrders.lowerBound`
    ///   receives order m. Columns outside `orders` are left as they are.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    func legendreAnalysis(spectrum: UnsafeBufferPointer<Complex<T>>, rowLength: Int, batch: Int, orders: Range<Int>,
                          into coefficients: UnsafeMutableBufferPointer<Complex<T>>, coefficientOrders: Range<Int>) {
        let columns = 2 * batch
        let rows = batch * nlat
        let mcols = coefficientOrders.count
        let equator = nlat % 2 == 1 ? nhalf - 1 : -1
        // Orders to the front: [m][b][k], so that each order's latitudes are contiguous.
        let byOrder = AlignedBuffer<Complex<T>>(count: orders.count * rows)
        transpose(spectrum.baseAddress!, rows: rows, columns: orders.count, sourceStride: rowLength,
                  into: byOrder.pointer, destinationStride: rows)
        // Results per order, [m][b][l], transposed into [b][l][m] at the end.
        let results = AlignedBuffer<Complex<T>>(count: orders.count * batch * lmax)
        let folded = AlignedBuffer<T>(count: 2 * nhalf * columns)      // [even | odd][nhalf][batch][re, im]
        let products = AlignedBuffer<T>(count: lmax * columns)         // [evenRows | oddRows][batch][re, im]
        for m in orders where m < lmax {
            let index = m - orders.lowerBound
            // Fold north/south pairs: even part into the first half, odd part into the second, weighted.
            byOrder.pointer.advanced(by: index * rows).withMemoryRebound(to: T.self, capacity: 2 * rows) { s in
                let f = folded.pointer
                for b in 0..<batch {
                    let row = s + 2 * b * nlat
                    for k in 0..<nhalf {
                        let w = scaledWeights[k]
                        let north = 2 * k
                        let mirror = 2 * (nlat - 1 - k)
                        let e = (k * batch + b) * 2
                        let o = nhalf * columns + e
                        if k == equator {
                            f[e] = w * row[north]
                            f[e + 1] = w * row[north + 1]
                            f[o] = 0
                            f[o + 1] = 0
                        } else {
                            f[e] = w * (row[north] + row[mirror])
                            f[e + 1] = w * (row[north + 1] + row[mirror + 1])
                            f[o] = w * (row[north] - row[mirror])
                            f[o + 1] = w * (row[north + 1] - row[mirror + 1])
                        }
                    }
                }
            }
            let evenRows = table.evenCount(m)
            let oddRows = table.oddCount(m)
            table.values.withUnsafeBufferPointer { t in
                gemm(m: evenRows, n: columns, k: nhalf, a: t.baseAddress! + table.evenOffset(m), lda: nhalf,
                     b: folded.pointer, ldb: columns, c: products.pointer, ldc: columns)
                gemm(m: oddRows, n: columns, k: nhalf, a: t.baseAddress! + table.oddOffset(m), lda: nhalf,
                     b: folded.pointer + nhalf * columns, ldb: columns,
                     c: products.pointer + evenRows * columns, ldc: columns)
            }
            // Row r of the even block is l = m + 2r, of the odd block l = m + 1 + 2r; l < m stays zero.
            results.pointer.advanced(by: index * batch * lmax).withMemoryRebound(to: T.self, capacity: 2 * batch * lmax) { out in
                let p = products.pointer
                for b in 0..<batch {
                    let o = out + 2 * b * lmax
                    for r in 0..<evenRows {
                        o[2 * (m + 2 * r)] = p[r * columns + 2 * b]
                        o[2 * (m + 2 * r) + 1] = p[r * columns + 2 * b + 1]
                    }
                    for r in 0..<oddRows {
                        o[2 * (m + 1 + 2 * r)] = p[(evenRows + r) * columns + 2 * b]
                        o[2 * (m + 1 + 2 * r) + 1] = p[(evenRows + r) * columns + 2 * b + 1]
                    }
                }
            }
        }
        // [m][b][l] → [b][l][m] in the caller's columns.
        let first = orders.lowerBound - coefficientOrders.lowerBound
        for b in 0..<batch {
            transpose(results.pointer + b * lmax, rows: orders.count, columns: lmax, sourceStride: batch * lmax,
                      into: coefficients.baseAddress! + b * lmax * mcols + first, destinationStride: mcols)
        }
    }

    // MARK: - Inverse

    /// Fields of `batch` coefficient sets.
    /// - coefficients: `[batch][lmax][mmax]`
    /// - fields: `[batch][nlat][nlon]`, overwritten
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func inverse(_ coefficients: UnsafeBufferPointer<Complex<T>>, _ fields: UnsafeMutableBufferPointer<T>,
                        batch: Int) {
        precondition(coefficients.count == batch * lmax * mmax,
                     "RealSHT.inverse: coefficients hold \(coefficients.count), expected \(batch) × \(lmax) × \(mmax)")
        precondition(fields.count == batch * nlat * nlon,
                     "RealSHT.inverse: fields hold \(fields.count) values, expected \(batch) × \(nlat) × \(nlon)")
        let plan = fft(rows: batch * nlat)
        let mlen = nlon / 2 + 1
        let spectrum = AlignedBuffer<Complex<T>>(count: batch * nlat * mlen)   // zero beyond mmax
        legendreSynthesis(coefficients: coefficients, coefficientOrders: 0..<mmax, orders: 0..<mmax, batch: batch,
                          into: spectrum.buffer, rowLength: mlen)
        let output = AlignedBuffer<T>(count: batch * nlat * nlon)
        plan.inverse(spectrum.pointer, output.pointer)
        fields.baseAddress!.update(from: output.pointer, count: fields.count)
    }

    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func inverse(_ coefficients: [Complex<T>], batch: Int) -> [T] {
        [T](unsafeUninitializedCapacity: batch * nlat * nlon) { out, n in
            coefficients.withUnsafeBufferPointer { inverse($0, out, batch: batch) }
            n = batch * nlat * nlon
        }
    }

    /// The Legendre stage of the inverse transform for a subset of orders.
    ///
    /// - coefficients: `[batch][lmax][coefficientOrders.count]`
    /// - spectrum: `[batch][nlat][rowLength]`; column `m − orders.lowerBound` receives order m (other
    ///   columns untouched). The imaginary part at m = 0 is kept; FFTW's c2r ignores it.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    func legendreSynthesis(coefficients: UnsafeBufferPointer<Complex<T>>, coefficientOrders: Range<Int>,
                           orders: Range<Int>, batch: Int, into spectrum: UnsafeMutableBufferPointer<Complex<T>>,
                           rowLength: Int) {
        let columns = 2 * batch
        let rows = batch * nlat
        let mcols = coefficientOrders.count
        let equator = nlat % 2 == 1 ? nhalf - 1 : -1
        // Orders to the front: [m][b][l].
        let byOrder = AlignedBuffer<Complex<T>>(count: orders.count * batch * lmax)
        let first = orders.lowerBound - coefficientOrders.lowerBound
        for b in 0..<batch {
            transpose(coefficients.baseAddress! + b * lmax * mcols + first, rows: lmax, columns: orders.count,
                      sourceStride: mcols, into: byOrder.pointer + b * lmax, destinationStride: batch * lmax)
        }
        // Fields per order, [m][b][k], transposed into the caller's [b][k][rowLength] at the end.
        let fields = AlignedBuffer<Complex<T>>(count: orders.count * rows)
        let gathered = AlignedBuffer<T>(count: lmax * columns)         // [evenRows | oddRows][batch][re, im]
        let parts = AlignedBuffer<T>(count: 2 * nhalf * columns)      // [even | odd][nhalf][batch][re, im]
        for m in orders where m < lmax {
            let index = m - orders.lowerBound
            let evenRows = table.evenCount(m)
            let oddRows = table.oddCount(m)
            byOrder.pointer.advanced(by: index * batch * lmax).withMemoryRebound(to: T.self, capacity: 2 * batch * lmax) { c in
                let g = gathered.pointer
                for b in 0..<batch {
                    let src = c + 2 * b * lmax
                    for r in 0..<evenRows {
                        g[r * columns + 2 * b] = src[2 * (m + 2 * r)]
                        g[r * columns + 2 * b + 1] = src[2 * (m + 2 * r) + 1]
                    }
                    for r in 0..<oddRows {
                        g[(evenRows + r) * columns + 2 * b] = src[2 * (m + 1 + 2 * r)]
                        g[(evenRows + r) * columns + 2 * b + 1] = src[2 * (m + 1 + 2 * r) + 1]
                    }
                }
            }
            table.values.withUnsafeBufferPointer { t in
                gemm(.transpose, .none, m: nhalf, n: columns, k: evenRows,
                     a: t.baseAddress! + table.evenOffset(m), lda: nhalf,
                     b: gathered.pointer, ldb: columns, c: parts.pointer, ldc: columns)
                if oddRows > 0 {
                    gemm(.transpose, .none, m: nhalf, n: columns, k: oddRows,
                         a: t.baseAddress! + table.oddOffset(m), lda: nhalf,
                         b: gathered.pointer + evenRows * columns, ldb: columns,
                         c: parts.pointer + nhalf * columns, ldc: columns)
                } else {
                    parts.pointer.advanced(by: nhalf * columns).update(repeating: 0, count: nhalf * columns)
                }
            }
            // Unfold: north = even + odd, south = even − odd.
            fields.pointer.advanced(by: index * rows).withMemoryRebound(to: T.self, capacity: 2 * rows) { s in
                let p = parts.pointer
                for b in 0..<batch {
                    let row = s + 2 * b * nlat
                    for k in 0..<nhalf {
                        let e = (k * batch + b) * 2
                        let o = nhalf * columns + e
                        row[2 * k] = p[e] + p[o]
                        row[2 * k + 1] = p[e + 1] + p[o + 1]
                        if k != equator {
                            let mirror = 2 * (nlat - 1 - k)
                            row[mirror] = p[e] - p[o]
                            row[mirror + 1] = p[e + 1] - p[o + 1]
                        }
                    }
                }
            }
        }
        // Orders at or beyond lmax have no degrees: zero fields. Then [m][b·nlat] → [b·nlat][rowLength].
        for m in orders where m >= lmax {
            fields.pointer.advanced(by: (m - orders.lowerBound) * rows).update(repeating: .zero, count: rows)
        }
        transpose(fields.pointer, rows: orders.count, columns: rows, sourceStride: rows,
                  into: spectrum.baseAddress!, destinationStride: rowLength)
    }
}
