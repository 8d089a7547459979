import ComplexModule
import Foundation
import Kernels
import RealModule

/// The vector spherical harmonic transform of torch-harmonics (`RealVectorSHT` / `InverseRealVectorSHT`,
/// `norm="ortho"`): a tangential field `(v₀, v₁)` on the grid ↔ spheroidal and toroidal coefficients `(s, t)`.
///
/// With `x̂_c[k, m] = (2π/nlon) Σ_j v_c[k, j] e^{−2πi jm/nlon}`, `D = dP̄_l^m/dθ` and `Q = m P̄_l^m / sin θ`
/// (see `VectorLegendreTable`), and `w_k` the quadrature weights:
///
/// Forward: `s[l, m] = Σ_k w_k (x̂₀ D − i x̂₁ Q) / (l(l+1))`, `t[l, m] = Σ_k w_k (−i x̂₀ Q − x̂₁ D) / (l(l+1))`
/// (`l(l+1)` replaced by 1 at l = 0).
/// Inverse: `x̂₀[k, m] = Σ_l (s D + i t Q)`, `x̂₁[k, m] = Σ_l (i s Q − t D)`, then the Hermitian inverse FFT.
///
/// torch-harmonics' shallow-water solver calls the components "u, v" and multiplies `s`, `t` by
/// `−l(l+1)/r` to get vorticity and divergence; see `ShallowWaterSolver`.
///
/// How: one batched FFTW transform for the longitudes, orders moved to the front with a tiled transpose;
/// for each order m one product of the stacked `[D; Q]` table (`[2(lmax−m)][nlat]`) with the four real
/// columns per field, combined afterwards. For one or two fields in Float64 the products are SIMD loops
/// that stream the table once (`PanelProducts`); otherwise GEMMs. No even/odd folding yet (it would halve
/// the work, as in `RealSHT`).
///
/// - fields: `[batch][2][nlat][nlon]`, latitudes north → south
/// - coefficients: `[batch][2][lmax][mmax]` complex (spheroidal, toroidal), zero where `m > l`
public final class RealVectorSHT<T: SHTScalar>: @unchecked Sendable {
    public let grid: SphereGrid
    public let nlat: Int
    public let nlon: Int
    public let lmax: Int
    public let mmax: Int
    public let condonShortleyPhase: Bool
    public let degreeNormalisation: VectorDegreeNormalisation
    public let quadrature: Quadrature

    /// Synthesis table `[D; Q]` per order.
    let table: VectorLegendreTable<T>
    /// Analysis table: the synthesis table times `w_k · 2π/nlon / (l(l+1))`.
    let analysisTable: VectorLegendreTable<T>
    private var plans: [Int: RealFFT<T>] = [:]
    /// Scratch buffers by batch size, reused across calls (allocating and zeroing megabytes per call cost
    /// more than a third of a shallow-water step); a concurrent caller takes its own.
    private var workspaces: [Int: [VectorWorkspace<T>]] = [:]
    private let planLock = NSLock()

    /// - Parameters:
    ///   - lmax, mmax: as `RealSHT` (default: the grid's natural truncation, then `mmax = lmax`).
    ///   - condonShortleyPhase: torch-harmonics' `csphase` (its default is true; its shallow-water solver
    ///     uses false).
    ///   - degreeNormalisation: how the forward transform's `1/(l(l+1))` is rounded (see the enum).
    public init(grid: SphereGrid, nlat: Int, nlon: Int, lmax: Int? = nil, mmax: Int? = nil,
                condonShortleyPhase: Bool = true, degreeNormalisation: VectorDegreeNormalisation = .exact) throws {
        guard nlat >= 2, nlon >= 2 else {
            throw SphereError("vector SHT grid \(nlat) × \(nlon) is too small: need at least 2 latitudes and 2 longitudes")
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
        self.condonShortleyPhase = condonShortleyPhase
        self.degreeNormalisation = degreeNormalisation
        quadrature = Quadrature(grid: grid, nlat: nlat)
        table = VectorLegendreTable<T>(lmax: lmax, mmax: mmax, cosTheta: quadrature.cosTheta,
                                       condonShortleyPhase: condonShortleyPhase)
        // Weighted copy, computed from the Float64 table entries again so that T = Float rounds only once.
        let double = VectorLegendreTable<Double>(lmax: lmax, mmax: mmax, cosTheta: quadrature.cosTheta,
                                                 condonShortleyPhase: condonShortleyPhase)
        var weighted = table
        let scale = 2 * Double.pi / Double(nlon)
        for m in 0..<mmax where m < lmax {
            let rows = lmax - m
            for row in 0..<(2 * rows) {
                let l = m + row % rows
                let degreeFactor = degreeNormalisation.factor(degree: l)
                let base = double.offsets[m] + row * nlat
                for k in 0..<nlat {
                    weighted.values[base + k] = T(double.values[base + k] * quadrature.weights[k] * scale * degreeFactor)
                }
            }
        }
        analysisTable = weighted
    }

    func fft(rows: Int) -> RealFFT<T> {
        planLock.lock()
        defer { planLock.unlock() }
        if let plan = plans[rows] { return plan }
        let plan = RealFFT<T>(length: nlon, batch: rows, rigor: rows * nlon > 1 << 16 ? .measure : .estimate)
        plans[rows] = plan
        return plan
    }

    func takeWorkspace(batch: Int) -> VectorWorkspace<T> {
        planLock.lock()
        defer { planLock.unlock() }
        if let workspace = workspaces[batch]?.popLast() { return workspace }
        return VectorWorkspace<T>(batch: batch, nlat: nlat, nlon: nlon, lmax: lmax, orders: min(mmax, lmax))
    }

    func returnWorkspace(_ workspace: VectorWorkspace<T>) {
        planLock.lock()
        defer { planLock.unlock() }
        workspaces[workspace.batch, default: []].append(workspace)
    }

    // MARK: - Forward

    /// Spheroidal and toroidal coefficients of `batch` vector fields.
    /// - fields: `[batch][2][nlat][nlon]`
    /// - coefficients: `[batch][2][lmax][mmax]`, overwritten
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func forward(_ fields: UnsafeBufferPointer<T>, _ coefficients: UnsafeMutableBufferPointer<Complex<T>>,
                        batch: Int) {
        precondition(fields.count == batch * 2 * nlat * nlon,
                     "RealVectorSHT.forward: fields hold \(fields.count) values, expected \(batch) × 2 × \(nlat) × \(nlon)")
        precondition(coefficients.count == batch * 2 * lmax * mmax,
                     "RealVectorSHT.forward: coefficients hold \(coefficients.count), expected \(batch) × 2 × \(lmax) × \(mmax)")
        let rows = batch * 2 * nlat
        let plan = fft(rows: rows)
        let mlen = nlon / 2 + 1
        let workspace = takeWorkspace(batch: batch)
        defer { returnWorkspace(workspace) }
        let input = workspace.real
        input.pointer.update(from: fields.baseAddress!, count: fields.count)
        let spectrum = workspace.spectrum
        plan.forward(input.pointer, spectrum.pointer)
        coefficients.update(repeating: .zero)

        let orders = min(mmax, lmax)
        // Orders to the front: [m][b][c][k], so that each order's latitudes are contiguous.
        let byOrder = workspace.byOrder
        transpose(spectrum.pointer, rows: rows, columns: orders, sourceStride: mlen, into: byOrder.pointer,
                  destinationStride: rows)
        let columns = 4 * batch                                      // [component][batch][re, im]
        let packed = workspace.packed                                // [nlat][columns]
        let products = workspace.first                               // [D rows | Q rows][columns]
        let spectral = UnsafeRawPointer(byOrder.pointer).assumingMemoryBound(to: T.self)
        for m in 0..<orders {
            let degrees = lmax - m
            let x = packed.pointer
            for c in 0..<2 {
                for b in 0..<batch {
                    let source = 2 * (m * rows + (b * 2 + c) * nlat)
                    let column = 2 * (c * batch + b)
                    for k in 0..<nlat {
                        x[k * columns + column] = spectral[source + 2 * k]
                        x[k * columns + column + 1] = spectral[source + 2 * k + 1]
                    }
                }
            }
            analysisTable.values.withUnsafeBufferPointer { t in
                let a = t.baseAddress! + analysisTable.offsets[m]
                if T.self == Double.self, columns == 4 || columns == 8 {
                    PanelProducts.rowsTimesPanel(
                        rows: 2 * degrees, depth: nlat, chunks: columns / 4,
                        a: UnsafeRawPointer(a).assumingMemoryBound(to: Double.self), lda: nlat,
                        b: UnsafeRawPointer(packed.pointer).assumingMemoryBound(to: Double.self),
                        c: UnsafeMutableRawPointer(products.pointer).assumingMemoryBound(to: Double.self))
                } else {
                    gemm(m: 2 * degrees, n: columns, k: nlat, a: a, lda: nlat,
                         b: packed.pointer, ldb: columns, c: products.pointer, ldc: columns)
                }
            }
            // s = D x̂₀ − i Q x̂₁, t = −i Q x̂₀ − D x̂₁ (−i(a + ib) = b − ia).
            let p = products.pointer
            for b in 0..<batch {
                let c0 = 2 * b, c1 = 2 * (batch + b)
                for r in 0..<degrees {
                    let d = r * columns, q = (degrees + r) * columns
                    let s = Complex(p[d + c0] + p[q + c1 + 1], p[d + c0 + 1] - p[q + c1])
                    let tor = Complex(p[q + c0 + 1] - p[d + c1], -p[q + c0] - p[d + c1 + 1])
                    let l = m + r
                    coefficients[((b * 2) * lmax + l) * mmax + m] = s
                    coefficients[((b * 2 + 1) * lmax + l) * mmax + m] = tor
                }
            }
        }
    }

    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func forward(_ fields: [T], batch: Int) -> [Complex<T>] {
        [Complex<T>](unsafeUninitializedCapacity: batch * 2 * lmax * mmax) { out, n in
            fields.withUnsafeBufferPointer { forward($0, out, batch: batch) }
            n = batch * 2 * lmax * mmax
        }
    }

    // MARK: - Inverse

    /// Vector fields of `batch` spheroidal/toroidal coefficient pairs.
    /// - coefficients: `[batch][2][lmax][mmax]`
    /// - fields: `[batch][2][nlat][nlon]`, overwritten
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func inverse(_ coefficients: UnsafeBufferPointer<Complex<T>>, _ fields: UnsafeMutableBufferPointer<T>,
                        batch: Int) {
        precondition(coefficients.count == batch * 2 * lmax * mmax,
                     "RealVectorSHT.inverse: coefficients hold \(coefficients.count), expected \(batch) × 2 × \(lmax) × \(mmax)")
        precondition(fields.count == batch * 2 * nlat * nlon,
                     "RealVectorSHT.inverse: fields hold \(fields.count) values, expected \(batch) × 2 × \(nlat) × \(nlon)")
        let rows = batch * 2 * nlat
        let plan = fft(rows: rows)
        let mlen = nlon / 2 + 1
        let workspace = takeWorkspace(batch: batch)
        defer { returnWorkspace(workspace) }
        let spectrum = workspace.spectrum

        let orders = min(mmax, lmax)
        let columns = 4 * batch                                      // [s | t][batch][re, im]
        let packed = workspace.packed                                // [degrees][columns]
        let fromD = workspace.first                                  // Dᵀ [s | t]
        let fromQ = workspace.second                                 // Qᵀ [s | t]
        // Fields per order, [m][b][c][k], transposed into [b][c][k][mlen] at the end.
        let byOrder = workspace.byOrder
        let spectral = UnsafeMutableRawPointer(byOrder.pointer).assumingMemoryBound(to: T.self)
        for m in 0..<orders {
            let degrees = lmax - m
            let y = packed.pointer
            for r in 0..<degrees {
                for c in 0..<2 {
                    for b in 0..<batch {
                        let value = coefficients[((b * 2 + c) * lmax + m + r) * mmax + m]
                        let column = 2 * (c * batch + b)
                        y[r * columns + column] = value.real
                        y[r * columns + column + 1] = value.imaginary
                    }
                }
            }
            table.values.withUnsafeBufferPointer { t in
                let base = t.baseAddress! + table.offsets[m]
                if T.self == Double.self, columns == 4 || columns == 8 {
                    let a = UnsafeRawPointer(base).assumingMemoryBound(to: Double.self)
                    let b = UnsafeRawPointer(packed.pointer).assumingMemoryBound(to: Double.self)
                    PanelProducts.transposedTimesPanel(
                        columns: nlat, depth: degrees, chunks: columns / 4, a: a, lda: nlat, b: b,
                        c: UnsafeMutableRawPointer(fromD.pointer).assumingMemoryBound(to: Double.self))
                    PanelProducts.transposedTimesPanel(
                        columns: nlat, depth: degrees, chunks: columns / 4, a: a + degrees * nlat, lda: nlat, b: b,
                        c: UnsafeMutableRawPointer(fromQ.pointer).assumingMemoryBound(to: Double.self))
                } else {
                    gemm(.transpose, .none, m: nlat, n: columns, k: degrees, a: base, lda: nlat,
                         b: packed.pointer, ldb: columns, c: fromD.pointer, ldc: columns)
                    gemm(.transpose, .none, m: nlat, n: columns, k: degrees, a: base + degrees * nlat, lda: nlat,
                         b: packed.pointer, ldb: columns, c: fromQ.pointer, ldc: columns)
                }
            }
            // x̂₀ = D s + i Q t, x̂₁ = i Q s − D t (i(a + ib) = −b + ia).
            let d = fromD.pointer, q = fromQ.pointer
            for b in 0..<batch {
                let cs = 2 * b, ct = 2 * (batch + b)
                for k in 0..<nlat {
                    let row = k * columns
                    let target0 = 2 * (m * rows + (b * 2) * nlat + k)
                    let target1 = 2 * (m * rows + (b * 2 + 1) * nlat + k)
                    spectral[target0] = d[row + cs] - q[row + ct + 1]
                    spectral[target0 + 1] = d[row + cs + 1] + q[row + ct]
                    spectral[target1] = -q[row + cs + 1] - d[row + ct]
                    spectral[target1 + 1] = q[row + cs] - d[row + ct + 1]
                }
            }
        }
        transpose(byOrder.pointer, rows: orders, columns: rows, sourceStride: rows, into: spectrum.pointer,
                  destinationStride: mlen)
        if orders < mlen {
            // Orders beyond the truncation are zero (the reused buffer holds the last call's, and FFTW's c2r
            // destroys its input).
            for row in 0..<rows { (spectrum.pointer + row * mlen + orders).update(repeating: .zero, count: mlen - orders) }
        }
        let output = workspace.real
        plan.inverse(spectrum.pointer, output.pointer)
        fields.baseAddress!.update(from: output.pointer, count: fields.count)
    }

    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func inverse(_ coefficients: [Complex<T>], batch: Int) -> [T] {
        [T](unsafeUninitializedCapacity: batch * 2 * nlat * nlon) { out, n in
            coefficients.withUnsafeBufferPointer { inverse($0, out, batch: batch) }
            n = batch * 2 * nlat * nlon
        }
    }
}

/// The factor `1/(l(l+1))` of the forward vector transform (1 at l = 0).
public enum VectorDegreeNormalisation: Sendable {
    /// Rounded once from the exact value in the transform's arithmetic (Float64 before storing in T).
    case exact
    /// As torch-harmonics 0.9.3 computes it: `1.0 / l / (l + 1)` on an integer tensor, i.e. in float32,
    /// then promoted. Its relative error (up to ~6e-8) is what separates torch-harmonics' vector transform
    /// from the exact one; the shallow-water solver uses this to reproduce torch-harmonics to round-off.
    case torchHarmonics

    func factor(degree l: Int) -> Double {
        guard l > 0 else { return 1 }
        switch self {
        case .exact: return 1 / (Double(l) * Double(l + 1))
        case .torchHarmonics: return Double(Float(1) / Float(l) / Float(l + 1))
        }
    }
}

/// Scratch buffers of one vector transform call for one batch size.
final class VectorWorkspace<T: SHTScalar>: @unchecked Sendable {
    let batch: Int
    /// `[batch][2][nlat][nlon]` grid values (FFT input or output).
    let real: AlignedBuffer<T>
    /// `[batch][2][nlat][nlon/2 + 1]` Fourier coefficients.
    let spectrum: AlignedBuffer<Complex<T>>
    /// `[orders][batch][2][nlat]` Fourier coefficients by order.
    let byOrder: AlignedBuffer<Complex<T>>
    /// Panel `[max(nlat, lmax)][4 batch]`.
    let packed: AlignedBuffer<T>
    /// Products `[max(2 lmax, nlat)][4 batch]`.
    let first: AlignedBuffer<T>
    /// Products `[nlat][4 batch]`.
    let second: AlignedBuffer<T>

    init(batch: Int, nlat: Int, nlon: Int, lmax: Int, orders: Int) {
        self.batch = batch
        let rows = batch * 2 * nlat
        let columns = 4 * batch
        real = AlignedBuffer(count: rows * nlon)
        spectrum = AlignedBuffer(count: rows * (nlon / 2 + 1))
        byOrder = AlignedBuffer(count: orders * rows)
        packed = AlignedBuffer(count: max(nlat, lmax) * columns)
        first = AlignedBuffer(count: max(2 * lmax, nlat) * columns)
        second = AlignedBuffer(count: nlat * columns)
    }
}
