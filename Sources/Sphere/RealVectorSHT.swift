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
/// How: one batched FFTW transform for the longitudes, orders moved to the front with a tiled transpose.
/// Then, per order, the north/south symmetry halves the work as in `RealSHT`: with `p = (−1)^{l+m}`, `Q` has
/// parity `p` and `D` parity `−p` about the equator, so the Legendre stage works on the `nhalf` northern
/// nodes with two folded tables — `A_m` (D on rows with l − m even, Q on odd ones), which meets the
/// antisymmetric part of the fields, and `B_m` (Q on even rows, D on odd ones), which meets the symmetric
/// part. For one or two fields in Float64 the products are SIMD loops that stream the tables once
/// (`PanelProducts`); otherwise GEMMs.
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

    /// Northern nodes, the equator included for odd nlat.
    let nhalf: Int
    /// Offset of `A_m` (`[lmax − m][nhalf]`) in the folded tables; `B_m` follows it.
    let offsets: [Int]
    /// Folded synthesis tables, node-major: `A_m` as `[nhalf][lmax − m]`, then `B_m`, so that the inverse's
    /// products run over contiguous degrees with the accumulators in registers.
    let synthesisTable: [T]
    /// Folded analysis tables, degree-major `[lmax − m][nhalf]`: the table entries times
    /// `w_k · 2π/nlon / (l(l+1))`.
    let analysisTable: [T]
    private let fftPlans: FFTPlanCache<T>
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
        let (lmax, mmax) = try resolveTruncation(grid: grid, nlat: nlat, nlon: nlon, lmax: lmax, mmax: mmax,
                                                 transform: "vector SHT")
        self.grid = grid
        self.nlat = nlat
        self.nlon = nlon
        self.lmax = lmax
        self.mmax = mmax
        self.condonShortleyPhase = condonShortleyPhase
        self.degreeNormalisation = degreeNormalisation
        quadrature = Quadrature(grid: grid, nlat: nlat)
        fftPlans = FFTPlanCache(length: nlon)
        let nhalf = (nlat + 1) / 2
        self.nhalf = nhalf
        // Full Float64 tables, folded here; both folded tables are rounded to T once.
        let full = VectorLegendreTable<Double>(lmax: lmax, mmax: mmax, cosTheta: quadrature.cosTheta,
                                               condonShortleyPhase: condonShortleyPhase)
        var offsets = [Int]()
        var total = 0
        for m in 0..<mmax {
            offsets.append(total)
            total += 2 * max(0, lmax - m) * nhalf
        }
        self.offsets = offsets
        var synthesis = [T](repeating: 0, count: total)
        var analysis = [T](repeating: 0, count: total)
        let scale = 2 * Double.pi / Double(nlon)
        for m in 0..<min(mmax, lmax) {
            let degrees = lmax - m
            for r in 0..<degrees {
                let l = m + r
                let degreeFactor = degreeNormalisation.factor(degree: l)
                let derivative = full.offsets[m] + r * nlat
                let order = full.offsets[m] + (degrees + r) * nlat
                // A_m row r: D for even r, Q for odd r; B_m row r: the other one.
                let (a, b) = r % 2 == 0 ? (derivative, order) : (order, derivative)
                for (table, source) in [(0, a), (1, b)] {
                    let block = offsets[m] + table * degrees * nhalf
                    for k in 0..<nhalf {
                        let value = full.values[source + k]
                        synthesis[block + k * degrees + r] = T(value)
                        analysis[block + r * nhalf + k] = T(value * quadrature.weights[k] * scale * degreeFactor)
                    }
                }
            }
        }
        synthesisTable = synthesis
        analysisTable = analysis
    }

    func fft(rows: Int) -> RealFFT<T> { fftPlans.plan(rows: rows) }

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

    /// `c = a · b`: a `[rows][depth]` (row-major, lda = depth), b `[depth][columns]`, c `[rows][columns]`
    /// (zero when depth is 0).
    private func product(rows: Int, depth: Int, columns: Int, a: UnsafePointer<T>, b: UnsafePointer<T>,
                         c: UnsafeMutablePointer<T>) {
        if T.self == Double.self, columns == 4 || columns == 8 {
            PanelProducts.rowsTimesPanel(rows: rows, depth: depth, chunks: columns / 4,
                                         a: UnsafeRawPointer(a).assumingMemoryBound(to: Double.self), lda: depth,
                                         b: UnsafeRawPointer(b).assumingMemoryBound(to: Double.self),
                                         c: UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self))
        } else if depth == 0 {
            c.update(repeating: 0, count: rows * columns)
        } else {
            gemm(m: rows, n: columns, k: depth, a: a, lda: depth, b: b, ldb: columns, c: c, ldc: columns)
        }
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
        workspace.real.pointer.update(from: fields.baseAddress!, count: fields.count)
        plan.forward(workspace.real.pointer, workspace.spectrum.pointer)
        coefficients.update(repeating: .zero)
        let orders = min(mmax, lmax)
        // Orders to the front: [m][b][c][k], so that each order's latitudes are contiguous.
        transpose(workspace.spectrum.pointer, rows: rows, columns: orders, sourceStride: mlen,
                  into: workspace.byOrder.pointer, destinationStride: rows)
        let columns = 4 * batch                                      // [component][batch][re, im]
        let symmetric = workspace.panels.pointer                     // E: [nhalf][columns]
        let antisymmetric = symmetric + nhalf * columns              // O: [nhalf][columns]
        let fromA = workspace.products.pointer                       // A·O: [degrees][columns]
        let fromB = fromA + lmax * columns                           // B·E: [degrees][columns]
        let spectral = UnsafeRawPointer(workspace.byOrder.pointer).assumingMemoryBound(to: T.self)
        let equator = nlat % 2 == 1 ? nhalf - 1 : -1
        for m in 0..<orders {
            let degrees = lmax - m
            // Fold north/south pairs into symmetric (north + south) and antisymmetric (north − south) parts.
            for c in 0..<2 {
                for b in 0..<batch {
                    let source = 2 * (m * rows + (b * 2 + c) * nlat)
                    let column = 2 * (c * batch + b)
                    for k in 0..<nhalf {
                        let north = source + 2 * k
                        let south = source + 2 * (nlat - 1 - k)
                        let e = k * columns + column
                        if k == equator {
                            symmetric[e] = spectral[north]
                            symmetric[e + 1] = spectral[north + 1]
                            antisymmetric[e] = 0
                            antisymmetric[e + 1] = 0
                        } else {
                            symmetric[e] = spectral[north] + spectral[south]
                            symmetric[e + 1] = spectral[north + 1] + spectral[south + 1]
                            antisymmetric[e] = spectral[north] - spectral[south]
                            antisymmetric[e + 1] = spectral[north + 1] - spectral[south + 1]
                        }
                    }
                }
            }
            analysisTable.withUnsafeBufferPointer { t in
                let a = t.baseAddress! + offsets[m]
                product(rows: degrees, depth: nhalf, columns: columns, a: a, b: antisymmetric, c: fromA)
                product(rows: degrees, depth: nhalf, columns: columns, a: a + degrees * nhalf, b: symmetric, c: fromB)
            }
            // Row r: D x̂ is in A·O for even r and in B·E for odd r; Q x̂ in the other.
            // s = D x̂₀ − i Q x̂₁, t = −i Q x̂₀ − D x̂₁ (−i(a + ib) = b − ia).
            for r in 0..<degrees {
                let (d, q) = r % 2 == 0 ? (fromA + r * columns, fromB + r * columns)
                                        : (fromB + r * columns, fromA + r * columns)
                let l = m + r
                for b in 0..<batch {
                    let c0 = 2 * b, c1 = 2 * (batch + b)
                    coefficients[((b * 2) * lmax + l) * mmax + m] = Complex(d[c0] + q[c1 + 1], d[c0 + 1] - q[c1])
                    coefficients[((b * 2 + 1) * lmax + l) * mmax + m] = Complex(q[c0 + 1] - d[c1], -q[c0] - d[c1 + 1])
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
        let orders = min(mmax, lmax)
        let columns = 4 * batch                                      // [x̂₀ | x̂₁][batch][re, im]
        // Panels by degree: for A (antisymmetric parts) and for B (symmetric parts), [degrees][columns].
        let panelA = workspace.panels.pointer
        let panelB = panelA + lmax * columns
        let antisymmetric = workspace.products.pointer               // Aᵀ panelA: [nhalf][columns]
        let symmetric = antisymmetric + nhalf * columns              // Bᵀ panelB: [nhalf][columns]
        let spectral = UnsafeMutableRawPointer(workspace.byOrder.pointer).assumingMemoryBound(to: T.self)
        let equator = nlat % 2 == 1 ? nhalf - 1 : -1
        for m in 0..<orders {
            let degrees = lmax - m
            // x̂₀ = D s + i Q t, x̂₁ = i Q s − D t. A row r holds D (even r) or Q (odd r): its panel gets the
            // coefficient that multiplies that function; B the other one.
            for r in 0..<degrees {
                let even = r % 2 == 0
                for b in 0..<batch {
                    let s = coefficients[((b * 2) * lmax + m + r) * mmax + m]
                    let t = coefficients[((b * 2 + 1) * lmax + m + r) * mmax + m]
                    let x0 = 2 * b, x1 = 2 * (batch + b)
                    // With D: s for x̂₀, −t for x̂₁. With Q: i t for x̂₀, i s for x̂₁ (i(a + ib) = −b + ia).
                    let (withD, withQ) = even ? (panelA + r * columns, panelB + r * columns)
                                              : (panelB + r * columns, panelA + r * columns)
                    withD[x0] = s.real
                    withD[x0 + 1] = s.imaginary
                    withD[x1] = -t.real
                    withD[x1 + 1] = -t.imaginary
                    withQ[x0] = -t.imaginary
                    withQ[x0 + 1] = t.real
                    withQ[x1] = -s.imaginary
                    withQ[x1 + 1] = s.real
                }
            }
            synthesisTable.withUnsafeBufferPointer { t in
                let a = t.baseAddress! + offsets[m]
                product(rows: nhalf, depth: degrees, columns: columns, a: a, b: panelA, c: antisymmetric)
                product(rows: nhalf, depth: degrees, columns: columns, a: a + degrees * nhalf, b: panelB, c: symmetric)
            }
            // Unfold: north = symmetric + antisymmetric, south = symmetric − antisymmetric.
            for c in 0..<2 {
                for b in 0..<batch {
                    let target = 2 * (m * rows + (b * 2 + c) * nlat)
                    let column = 2 * (c * batch + b)
                    for k in 0..<nhalf {
                        let e = k * columns + column
                        spectral[target + 2 * k] = symmetric[e] + antisymmetric[e]
                        spectral[target + 2 * k + 1] = symmetric[e + 1] + antisymmetric[e + 1]
                        if k != equator {
                            let south = target + 2 * (nlat - 1 - k)
                            spectral[south] = symmetric[e] - antisymmetric[e]
                            spectral[south + 1] = symmetric[e + 1] - antisymmetric[e + 1]
                        }
                    }
                }
            }
        }
        let spectrum = workspace.spectrum
        transpose(workspace.byOrder.pointer, rows: orders, columns: rows, sourceStride: rows, into: spectrum.pointer,
                  destinationStride: mlen)
        if orders < mlen {
            // Orders beyond the truncation are zero (the reused buffer holds the last call's, and FFTW's c2r
            // destroys its input).
            for row in 0..<rows { (spectrum.pointer + row * mlen + orders).update(repeating: .zero, count: mlen - orders) }
        }
        plan.inverse(spectrum.pointer, workspace.real.pointer)
        fields.baseAddress!.update(from: workspace.real.pointer, count: fields.count)
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
    /// Two panels `[max(nhalf, lmax)][4 batch]`.
    let panels: AlignedBuffer<T>
    /// Two products `[max(nhalf, lmax)][4 batch]`.
    let products: AlignedBuffer<T>

    init(batch: Int, nlat: Int, nlon: Int, lmax: Int, orders: Int) {
        self.batch = batch
        let rows = batch * 2 * nlat
        let columns = 4 * batch
        let height = max((nlat + 1) / 2, lmax)
        real = AlignedBuffer(count: rows * nlon)
        spectrum = AlignedBuffer(count: rows * (nlon / 2 + 1))
        byOrder = AlignedBuffer(count: orders * rows)
        panels = AlignedBuffer(count: 2 * height * columns)
        products = AlignedBuffer(count: 2 * height * columns)
    }
}
