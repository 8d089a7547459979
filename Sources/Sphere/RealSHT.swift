import ComplexModule
import Foundation
import Kernels
import RealModule

/// Precision of a spherical harmonic transform: Float (the SFNO) or Double (the shallow-water model).
public typealias SHTScalar = FFTScalar & GEMMScalar & SIMDScalar

/// The real spherical harmonic transform of torch-harmonics (`RealSHT` / `InverseRealSHT`, `norm="ortho"`,
/// with or without the Condon–Shortley phase, `csphase`) on a batch of fields.
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
    /// torch-harmonics' `csphase`: true (the default, and the SFNO's) gives coefficients with the
    /// Condon–Shortley phase; false (the shallow-water solver's) gives them negated at odd orders.
    public let condonShortleyPhase: Bool
    public let quadrature: Quadrature

    /// Northern nodes including the equator for odd nlat.
    let nhalf: Int
    let table: LegendreTable<T>
    /// Quadrature weights of the northern nodes in T, with the FFT's 2π/nlon folded in.
    let scaledWeights: [T]
    /// FFTs of latitude rows (plans made on first use, then reused; rows shared out over the rank's threads).
    let fft: FFTPlanCache<T>
    /// Work arrays kept between calls (one arena per concurrent caller).
    let scratch = ScratchPool()

    /// - Parameters:
    ///   - lmax: degrees kept (exclusive), `1 ... nlat`; default: the grid's natural truncation.
    ///   - mmax: orders kept (exclusive), `1 ... nlon/2 + 1`; default: `lmax` (triangular truncation, as
    ///     torch-harmonics).
    ///   - condonShortleyPhase: torch-harmonics' `csphase` (its default is true; its shallow-water solver
    ///     uses false). The tables always carry the phase; without it the coefficients are toggled at odd
    ///     orders after the forward transform and before the inverse one (`toggleCondonShortleyPhase`).
    public init(grid: SphereGrid, nlat: Int, nlon: Int, lmax: Int? = nil, mmax: Int? = nil,
                condonShortleyPhase: Bool = true) throws {
        let (lmax, mmax) = try resolveTruncation(grid: grid, nlat: nlat, nlon: nlon, lmax: lmax, mmax: mmax,
                                                 transform: "SHT")
        self.grid = grid
        self.nlat = nlat
        self.nlon = nlon
        self.lmax = lmax
        self.mmax = mmax
        self.condonShortleyPhase = condonShortleyPhase
        quadrature = Quadrature(grid: grid, nlat: nlat)
        fft = FFTPlanCache(length: nlon)
        nhalf = (nlat + 1) / 2
        table = LegendreTable<T>.forTransform(lmax: lmax, mmax: mmax, cosTheta: quadrature.cosTheta[0..<nhalf])
        let scale = 2 * Double.pi / Double(nlon)
        let weights = quadrature.weights
        scaledWeights = (0..<nhalf).map { T(weights[$0] * scale) }
    }

    /// Bytes held by the Legendre table and its restart pairs (`LegendreSeeds`, Float only).
    public var tableBytes: Int {
        table.values.count * MemoryLayout<T>.stride + (table.seeds.map { $0.values.count * MemoryLayout<Double>.stride } ?? 0)
    }

    /// Frees the work arrays kept between calls (they are made again on the next transform).
    public func releaseScratch() { scratch.release() }

    /// FFTW plans are made on 64-byte aligned arrays and may only run on arrays aligned alike.
    func isAlignedForFFT<E>(_ pointer: UnsafeMutablePointer<E>) -> Bool { Int(bitPattern: pointer) % 64 == 0 }

    /// Fields transformed per pass: a large batch (an SFNO layer's 620 channels at 0.25°) goes in passes of
    /// about 256 MB of spectra, so the work arrays stay that size — at 721 × 1440 that is 64 fields, where the
    /// batched Legendre stage is already at full speed — instead of growing to several GB each.
    var fieldsPerPass: Int { max(1, passBytes / (nlat * (nlon / 2 + 1) * MemoryLayout<Complex<T>>.stride)) }
    /// Bytes of spectra per pass (the tests lower it to exercise several passes on small grids).
    var passBytes = 256 << 20

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
        for first in stride(from: 0, to: batch, by: fieldsPerPass) {
            let count = min(fieldsPerPass, batch - first)
            forwardPass(UnsafeBufferPointer(rebasing: fields[(first * nlat * nlon)..<((first + count) * nlat * nlon)]),
                        UnsafeMutableBufferPointer(rebasing: coefficients[(first * lmax * mmax)..<((first + count) * lmax * mmax)]),
                        batch: count)
        }
        if !condonShortleyPhase { toggleCondonShortleyPhase(coefficients, lmax: lmax, mmax: mmax) }
    }

    /// `forward` on at most `fieldsPerPass` fields.
    private func forwardPass(_ fields: UnsafeBufferPointer<T>, _ coefficients: UnsafeMutableBufferPointer<Complex<T>>,
                             batch: Int) {
        scratch.withArena { arena in
            let analysed = arena.memory(ScratchSlot.coefficients, count: mmax * lmax * batch, of: Complex<T>.self)
            if batch >= 2 {
                // Latitude pairs straight into the folded layout; coefficients degree-major, [lmax][mmax][batch].
                let folded = arena.memory(ScratchSlot.byOrder, count: mmax * 2 * nhalf * batch, of: Complex<T>.self)
                foldedSpectra(fields.baseAddress!, batch: batch, into: folded, arena: arena)
                legendreAnalysis(spectrum: folded, batch: batch, orders: 0..<mmax, into: analysed,
                                 coefficientOrders: 0..<mmax, layout: .interleaved, arena: arena)
                // [lmax][mmax][batch] → [batch][lmax][mmax], a degree at a time: its block (370 KB at 0.25°, batch
                // 64) stays in L2 while four fields' rows of it are written in step (4 × 4 tiles). Only the
                // orders m ≤ l are read (the stage leaves the others unset); the rest of each row is zero.
                // Degrees dealt out round-robin: the work grows with l.
                let output = coefficients.baseAddress!
                shareOut(lmax) { part, parts in
                    for l in stride(from: part, to: lmax, by: parts) {
                        let orders = min(l + 1, mmax)
                        transposeInTiles(analysed + l * mmax * batch, rows: orders, columns: batch, sourceStride: batch,
                                         into: output + l * mmax, destinationStride: lmax * mmax, fieldsAre: .columns)
                        guard orders < mmax else { continue }
                        for b in 0..<batch { (output + b * lmax * mmax + l * mmax + orders).update(repeating: .zero, count: mmax - orders) }
                    }
                }
            } else {
                singleFieldSpectrum(fields, arena: arena) { byOrder in
                    legendreAnalysis(spectrum: byOrder, batch: 1, orders: 0..<mmax, into: analysed,
                                     coefficientOrders: 0..<mmax, arena: arena)
                }
                // [mmax][lmax] → [lmax][mmax].
                parallelTranspose(analysed, rows: mmax, columns: lmax, sourceStride: lmax,
                                  into: coefficients.baseAddress!, destinationStride: mmax)
            }
        }
    }

    /// The Fourier stage of one field (`[nlat][nlon]`): `body` gets its spectrum as `[mmax][nlat]`. One
    /// FFTW call for all rows: a lone row would round differently (`FFTPlanCache`).
    private func singleFieldSpectrum(_ field: UnsafeBufferPointer<T>, arena: ScratchArena,
                                     _ body: (UnsafePointer<Complex<T>>) -> Void) {
        let mlen = nlon / 2 + 1
        let spectrum = arena.memory(ScratchSlot.spectrum, count: nlat * mlen, of: Complex<T>.self)
        // FFTW's r2c keeps its input, but runs only on arrays aligned like those it was planned on.
        var input = UnsafeMutablePointer(mutating: field.baseAddress!)
        if !isAlignedForFFT(input) {
            input = arena.memory(ScratchSlot.fields, count: field.count, of: T.self)
            input.update(from: field.baseAddress!, count: field.count)
        }
        fft.forward(input, spectrum, rows: nlat)
        // [nlat][mlen] → [mmax][nlat]: each order's rows contiguous.
        let byOrder = arena.memory(ScratchSlot.byOrder, count: mmax * nlat, of: Complex<T>.self)
        parallelTranspose(spectrum, rows: nlat, columns: mmax, sourceStride: mlen, into: byOrder, destinationStride: nlat)
        body(byOrder)
    }

    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func forward(_ fields: [T], batch: Int) -> [Complex<T>] {
        [Complex<T>](unsafeUninitializedCapacity: batch * lmax * mmax) { out, n in
            fields.withUnsafeBufferPointer { forward($0, out, batch: batch) }
            n = batch * lmax * mmax
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
        guard condonShortleyPhase else {
            // The caller's coefficients stay as they are: the tables' convention is applied to a copy.
            var withPhase = Array(coefficients)
            toggleCondonShortleyPhase(&withPhase, lmax: lmax, mmax: mmax)
            withPhase.withUnsafeBufferPointer { inverseInPasses($0, fields, batch: batch) }
            return
        }
        inverseInPasses(coefficients, fields, batch: batch)
    }

    /// `inverse` in passes of at most `fieldsPerPass` fields, the coefficients with the Condon–Shortley phase.
    private func inverseInPasses(_ coefficients: UnsafeBufferPointer<Complex<T>>, _ fields: UnsafeMutableBufferPointer<T>,
                                 batch: Int) {
        for first in stride(from: 0, to: batch, by: fieldsPerPass) {
            let count = min(fieldsPerPass, batch - first)
            inversePass(UnsafeBufferPointer(rebasing: coefficients[(first * lmax * mmax)..<((first + count) * lmax * mmax)]),
                        UnsafeMutableBufferPointer(rebasing: fields[(first * nlat * nlon)..<((first + count) * nlat * nlon)]),
                        batch: count)
        }
    }

    /// `inverse` on at most `fieldsPerPass` fields.
    private func inversePass(_ coefficients: UnsafeBufferPointer<Complex<T>>, _ fields: UnsafeMutableBufferPointer<T>,
                             batch: Int) {
        scratch.withArena { arena in
            let byDegree = arena.memory(ScratchSlot.coefficients, count: mmax * lmax * batch, of: Complex<T>.self)
            if batch >= 2 {
                // [batch][lmax][mmax] → [lmax][mmax][batch], a degree at a time: four fields' rows read in
                // step (4 × 4 tiles) while the degree's block fills in L2. Only the orders m ≤ l, the ones the
                // Legendre stage reads (P̄_l^m = 0 above them, so torch-harmonics ignores those coefficients
                // too); degrees dealt out round-robin. Then the parts by latitude pair, unfolded and
                // transformed (`fieldsFromParts`).
                let input = coefficients.baseAddress!
                shareOut(lmax) { part, parts in
                    for l in stride(from: part, to: lmax, by: parts) {
                        let orders = min(l + 1, mmax)
                        transposeInTiles(input + l * mmax, rows: batch, columns: orders, sourceStride: lmax * mmax,
                                         into: byDegree + l * mmax * batch, destinationStride: batch, fieldsAre: .rows)
                    }
                }
                let parts = arena.memory(ScratchSlot.byOrder, count: mmax * 2 * nhalf * batch, of: Complex<T>.self)
                legendreSynthesis(coefficients: byDegree, coefficientOrders: 0..<mmax, orders: 0..<mmax, batch: batch,
                                  into: parts, layout: .interleaved, arena: arena)
                fieldsFromParts(parts, batch: batch, into: fields.baseAddress!, arena: arena)
            } else {
                // [lmax][mmax] → [mmax][lmax].
                parallelTranspose(coefficients.baseAddress!, rows: lmax, columns: mmax, sourceStride: mmax,
                                  into: byDegree, destinationStride: lmax)
                let synthesised = arena.memory(ScratchSlot.byOrder, count: mmax * nlat, of: Complex<T>.self)
                legendreSynthesis(coefficients: byDegree, coefficientOrders: 0..<mmax, orders: 0..<mmax, batch: 1,
                                  into: synthesised, arena: arena)
                singleFieldFromSpectrum(synthesised, into: fields, arena: arena)
            }
        }
    }

    /// The Fourier stage of one field's inverse: its spectrum `[mmax][nlat]` into `field` `[nlat][nlon]`.
    private func singleFieldFromSpectrum(_ byOrder: UnsafePointer<Complex<T>>, into field: UnsafeMutableBufferPointer<T>,
                                         arena: ScratchArena) {
        let mlen = nlon / 2 + 1
        // [mmax][nlat] → [nlat][mlen], zero at the orders the coefficients do not reach.
        let spectrum = arena.memory(ScratchSlot.spectrum, count: nlat * mlen, of: Complex<T>.self)
        parallelTranspose(byOrder, rows: mmax, columns: nlat, sourceStride: nlat, into: spectrum, destinationStride: mlen)
        if mmax < mlen {
            for row in 0..<nlat { (spectrum + row * mlen + mmax).update(repeating: .zero, count: mlen - mmax) }
        }
        let output = field.baseAddress!
        if isAlignedForFFT(output) {
            fft.inverse(spectrum, output, rows: nlat)
        } else {
            let aligned = arena.memory(ScratchSlot.fields, count: field.count, of: T.self)
            fft.inverse(spectrum, aligned, rows: nlat)
            output.update(from: aligned, count: field.count)
        }
    }

    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public func inverse(_ coefficients: [Complex<T>], batch: Int) -> [T] {
        [T](unsafeUninitializedCapacity: batch * nlat * nlon) { out, n in
            coefficients.withUnsafeBufferPointer { inverse($0, out, batch: batch) }
            n = batch * nlat * nlon
        }
    }
}
