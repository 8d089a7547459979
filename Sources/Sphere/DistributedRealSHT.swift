import RealModule
import ComplexModule
import Kernels
import MPI

/// `RealSHT` with the fields split over ranks: latitudes over the grid's `h` communicator, longitudes
/// over `w` (uneven splits allowed: `splitRange`, the first `n % p` parts one larger). On one rank it
/// does exactly what `RealSHT` does.
///
/// Forward (`[batch][nlat/h][nlon/w]` → `[batch][lmax/h][mmax/w]`), after the scheme of torch-harmonics'
/// `distributed_sht.py`:
/// 1. transpose over w: each rank gathers full longitudes for its share of the (field, latitude) rows;
/// 2. FFT of those rows;
/// 3. transpose over w: back to all local rows, orders m split over w;
/// 4. transpose over h: full latitudes, this w-part's orders split again over h;
/// 5. Legendre stage for those orders (`RealSHT.legendreAnalysis`, any subset of m);
/// 6. transpose over h: degrees l split over h, all of this w-part's orders.
/// The inverse runs the same steps backwards. Each transpose is one `Communicator.transpose` (one alltoallv;
/// its buffers are the communicator's, reused by every call).
///
/// Spectral layout: rank (hIndex, wIndex) holds `coefficients[b][l][m]` for
/// `l ∈ splitRange(lmax, h, hIndex)` and `m ∈ splitRange(mmax, w, wIndex)`, row-major `[batch][lLocal][mLocal]`.
public final class DistributedRealSHT<T: SHTScalar & MPIComplexComponent>: @unchecked Sendable {
    public let serial: RealSHT<T>
    let h: Communicator
    let w: Communicator

    /// This rank's latitudes, longitudes, degrees and orders.
    public let latitudes: Range<Int>
    public let longitudes: Range<Int>
    public let degrees: Range<Int>
    public let orders: Range<Int>

    /// Builds the serial precomputation (tables and plans) and the split. Not collective.
    public init(_ serial: RealSHT<T>, h: Communicator, w: Communicator) {
        // The distributed stages call the serial Legendre stage directly, which carries the phase.
        precondition(serial.condonShortleyPhase,
                     "DistributedRealSHT: the serial transform must use the Condon–Shortley phase (csphase=true)")
        self.serial = serial
        passBytes = serial.passBytes
        self.h = h
        self.w = w
        latitudes = splitRange(serial.nlat, parts: h.size, index: h.rank)
        longitudes = splitRange(serial.nlon, parts: w.size, index: w.rank)
        degrees = splitRange(serial.lmax, parts: h.size, index: h.rank)
        orders = splitRange(serial.mmax, parts: w.size, index: w.rank)
    }

    public convenience init(_ serial: RealSHT<T>, grid: ProcessGrid) {
        self.init(serial, h: grid.h, w: grid.w)
    }

    /// Orders (absolute m) this rank transforms in the Legendre stage: its w-part's orders split over h.
    var legendreOrders: Range<Int> { subOrders(h.rank) }

    private func subOrders(_ q: Int) -> Range<Int> {
        let r = splitRange(orders.count, parts: h.size, index: q)
        return (orders.lowerBound + r.lowerBound)..<(orders.lowerBound + r.upperBound)
    }

    private func rowsOf(_ q: Int, batch: Int) -> Range<Int> {
        splitRange(batch * latitudes.count, parts: w.size, index: q)
    }

    // MARK: - Forward

    /// Fields transformed per pass: the serial transform's passes (about 256 MB of the whole grid's spectra),
    /// so an SFNO layer's hundreds of channels go through a rank's work and message buffers a share of that
    /// at a time instead of several GB each (what kept the HENS-size network at layout (2,1,1) from fitting a
    /// 24 GiB machine). Two reasons fix the rule:
    /// - every rank of the spatial group must take the same passes, since each pass is a set of collective
    ///   exchanges: the rule depends on the grid alone, not on this rank's share;
    /// - with the serial passes a rank's Legendre GEMMs have the serial shapes, so an order's coefficients
    ///   are the serial ones bit for bit (an h-split SFNO then reproduces the serial network, `Workspace.tileRows`).
    public var fieldsPerPass: Int { max(1, passBytes / bytesPerField) }
    /// One field's spectra on the whole grid: the unit of the serial transform's passes.
    public var bytesPerField: Int { serial.nlat * (serial.nlon / 2 + 1) * MemoryLayout<Complex<T>>.stride }
    /// Bytes of spectra per pass: the serial transform's (the self-test lowers it to exercise several passes
    /// on small grids).
    public var passBytes: Int

    /// - fields: `[batch][latitudes.count][longitudes.count]`
    /// - coefficients: `[batch][degrees.count][orders.count]`, overwritten
    func forwardTransform(_ fields: UnsafeBufferPointer<T>, into coefficients: UnsafeMutableBufferPointer<Complex<T>>,
                          batch: Int) throws {
        let fieldCount = latitudes.count * longitudes.count, spectrumCount = degrees.count * orders.count
        precondition(fields.count == batch * fieldCount,
                     "DistributedRealSHT.forward: \(fields.count) values, expected \(batch) × \(latitudes.count) × \(longitudes.count)")
        precondition(coefficients.count == batch * spectrumCount,
                     "DistributedRealSHT.forward: room for \(coefficients.count) coefficients, expected \(batch) × \(degrees.count) × \(orders.count)")
        try forEachPass(batch: batch) { pass in
            try forwardPass(UnsafeBufferPointer(rebasing: fields[(pass.lowerBound * fieldCount)..<(pass.upperBound * fieldCount)]),
                            into: UnsafeMutableBufferPointer(rebasing: coefficients[(pass.lowerBound * spectrumCount)..<(pass.upperBound * spectrumCount)]),
                            batch: pass.count)
        }
    }

    /// `body(fields)` for the consecutive runs of at most `fieldsPerPass` fields of a batch, and one empty
    /// run for an empty batch: every rank of the spatial group sees the same batch and so takes the same
    /// passes, whose exchanges the other ranks expect.
    private func forEachPass(batch: Int, _ body: (Range<Int>) throws -> Void) rethrows {
        for first in stride(from: 0, to: max(batch, 1), by: fieldsPerPass) {
            try body(first..<min(first + fieldsPerPass, batch))
        }
    }

    /// `forwardTransform` on at most `fieldsPerPass` fields.
    private func forwardPass(_ fields: UnsafeBufferPointer<T>, into result: UnsafeMutableBufferPointer<Complex<T>>,
                             batch: Int) throws {
        let nlatL = latitudes.count, nlonL = longitudes.count, lL = degrees.count, mL = orders.count
        let nlat = serial.nlat, nlon = serial.nlon, mlen = nlon / 2 + 1, lmax = serial.lmax
        let rows = batch * nlatL, myRows = rowsOf(w.rank, batch: batch), mine = legendreOrders

        // 1. Rows (field, latitude) split over w, longitudes gathered. After this: [myRows][nlon].
        let full = AlignedBuffer<T>(count: myRows.count * nlon)
        try w.transpose(fields.baseAddress, .rowMajor([rows, nlonL]), into: full.pointer, .rowMajor([myRows.count, nlon]),
                        split: 0, gather: 1)

        // 2. FFT of my rows. After this: [myRows][mlen].
        let spectrum = AlignedBuffer<Complex<T>>(count: myRows.count * mlen)
        serial.fft.forward(full.pointer, spectrum.pointer, rows: myRows.count)

        // 3. Orders split over w (the first mmax of each row), rows gathered. After this: [batch·nlatL][mLocal].
        let local = UnsafeMutableBufferPointer<Complex<T>>.allocate(capacity: rows * mL)
        defer { local.deallocate() }
        try w.transpose(spectrum.pointer, StridedBlock(extents: [myRows.count, serial.mmax], strides: [mlen, 1]),
                        into: local.baseAddress, .rowMajor([rows, mL]), split: 1, gather: 0)

        // 4. This w-part's orders split again over h, latitudes gathered. After this: [mSub][nlat][batch].
        let gathered = UnsafeMutableBufferPointer<Complex<T>>.allocate(capacity: batch * nlat * mine.count)
        defer { gathered.deallocate() }
        try h.transpose(local.baseAddress, .rowMajor([batch, nlatL, mL]),
                        into: gathered.baseAddress, Self.orderMajor(batch: batch, rows: nlat, orders: mine.count),
                        split: 2, gather: 1)

        // 5. Legendre stage for my orders. After this: [mSub][lmax][batch].
        let analysed = UnsafeMutableBufferPointer<Complex<T>>.allocate(capacity: batch * lmax * mine.count)
        defer { analysed.deallocate() }
        if !mine.isEmpty && batch > 0 {
            serial.scratch.withArena { arena in
                serial.legendreAnalysis(spectrum: gathered.baseAddress!, batch: batch,
                                        orders: mine, into: analysed.baseAddress!, coefficientOrders: mine, arena: arena)
            }
        }

        // 6. Degrees split over h, this w-part's orders gathered. After this: [batch][lLocal][mLocal].
        try h.transpose(analysed.baseAddress, Self.orderMajor(batch: batch, rows: lmax, orders: mine.count),
                        into: result.baseAddress, .rowMajor([batch, lL, mL]), split: 1, gather: 2)
    }

    /// The Legendre stage's order-major layout `[m][rows][batch]` (rows: latitudes or degrees), seen as the
    /// logical axes `[batch][rows][m]` of the layouts around it.
    private static func orderMajor(batch: Int, rows: Int, orders: Int) -> StridedBlock {
        StridedBlock(extents: [batch, rows, orders], strides: [1, batch, rows * batch])
    }

    // MARK: - Inverse

    /// - coefficients: `[batch][degrees.count][orders.count]`
    /// - fields: `[batch][latitudes.count][longitudes.count]`, overwritten
    func inverseTransform(_ coefficients: UnsafeBufferPointer<Complex<T>>, into fields: UnsafeMutableBufferPointer<T>,
                          batch: Int) throws {
        let fieldCount = latitudes.count * longitudes.count, spectrumCount = degrees.count * orders.count
        precondition(coefficients.count == batch * spectrumCount,
                     "DistributedRealSHT.inverse: \(coefficients.count) values, expected \(batch) × \(degrees.count) × \(orders.count)")
        precondition(fields.count == batch * fieldCount,
                     "DistributedRealSHT.inverse: room for \(fields.count) values, expected \(batch) × \(latitudes.count) × \(longitudes.count)")
        try forEachPass(batch: batch) { pass in
            try inversePass(UnsafeBufferPointer(rebasing: coefficients[(pass.lowerBound * spectrumCount)..<(pass.upperBound * spectrumCount)]),
                            into: UnsafeMutableBufferPointer(rebasing: fields[(pass.lowerBound * fieldCount)..<(pass.upperBound * fieldCount)]),
                            batch: pass.count)
        }
    }

    /// `inverseTransform` on at most `fieldsPerPass` fields.
    private func inversePass(_ coefficients: UnsafeBufferPointer<Complex<T>>, into result: UnsafeMutableBufferPointer<T>,
                             batch: Int) throws {
        let nlatL = latitudes.count, nlonL = longitudes.count, lL = degrees.count, mL = orders.count
        let nlat = serial.nlat, nlon = serial.nlon, mlen = nlon / 2 + 1, lmax = serial.lmax
        let rows = batch * nlatL, myRows = rowsOf(w.rank, batch: batch), mine = legendreOrders

        // 1. This w-part's orders split over h, degrees gathered. After this: [mSub][lmax][batch].
        let gathered = UnsafeMutableBufferPointer<Complex<T>>.allocate(capacity: batch * lmax * mine.count)
        defer { gathered.deallocate() }
        try h.transpose(coefficients.baseAddress, .rowMajor([batch, lL, mL]),
                        into: gathered.baseAddress, Self.orderMajor(batch: batch, rows: lmax, orders: mine.count),
                        split: 2, gather: 1)

        // 2. Legendre synthesis of my orders. After this: [mSub][nlat][batch].
        let synthesised = UnsafeMutableBufferPointer<Complex<T>>.allocate(capacity: batch * nlat * mine.count)
        defer { synthesised.deallocate() }
        if !mine.isEmpty && batch > 0 {
            serial.scratch.withArena { arena in
                serial.legendreSynthesis(coefficients: gathered.baseAddress!, coefficientOrders: mine,
                                         orders: mine, batch: batch, into: synthesised.baseAddress!,
                                         arena: arena)
            }
        }

        // 3. Latitudes split over h, this w-part's orders gathered. After this: [batch·nlatL][mLocal].
        let local = UnsafeMutableBufferPointer<Complex<T>>.allocate(capacity: rows * mL)
        defer { local.deallocate() }
        try h.transpose(synthesised.baseAddress, Self.orderMajor(batch: batch, rows: nlat, orders: mine.count),
                        into: local.baseAddress, .rowMajor([batch, nlatL, mL]), split: 1, gather: 2)

        // 4. Rows split over w, orders gathered. After this: [myRows][mlen], zero beyond mmax (AlignedBuffer starts zeroed).
        let spectrum = AlignedBuffer<Complex<T>>(count: myRows.count * mlen)
        try w.transpose(local.baseAddress, .rowMajor([rows, mL]),
                        into: spectrum.pointer, StridedBlock(extents: [myRows.count, serial.mmax], strides: [mlen, 1]),
                        split: 0, gather: 1)

        // 5. Inverse FFT of my rows. After this: [myRows][nlon].
        let full = AlignedBuffer<T>(count: myRows.count * nlon)
        serial.fft.inverse(spectrum.pointer, full.pointer, rows: myRows.count)

        // 6. Longitudes split over w, rows gathered. After this: [batch][nlatL][nlonL].
        try w.transpose(full.pointer, .rowMajor([myRows.count, nlon]), into: result.baseAddress, .rowMajor([rows, nlonL]),
                        split: 1, gather: 0)
    }
}

// MARK: - Entry points

extension DistributedRealSHT {
    /// The array form of `forwardTransform`, shared by the entry points below.
    func forwardArray(_ fields: [T], batch: Int) throws -> [Complex<T>] {
        var out = [Complex<T>](repeating: .zero, count: batch * degrees.count * orders.count)
        try fields.withUnsafeBufferPointer { f in try out.withUnsafeMutableBufferPointer { try forwardTransform(f, into: $0, batch: batch) } }
        return out
    }
    /// The array form of `inverseTransform`, shared by the entry points below.
    func inverseArray(_ coefficients: [Complex<T>], batch: Int) throws -> [T] {
        var out = [T](repeating: 0, count: batch * latitudes.count * longitudes.count)
        try coefficients.withUnsafeBufferPointer { c in try out.withUnsafeMutableBufferPointer { try inverseTransform(c, into: $0, batch: batch) } }
        return out
    }

    /// Generic callers' entry (unspecialised across modules); Float and Double callers get the overloads below.
    /// - fields: `[batch][latitudes.count][longitudes.count]`; returns `[batch][degrees.count][orders.count]`
    public func forward(_ fields: [T], batch: Int) throws -> [Complex<T>] { try forwardArray(fields, batch: batch) }
    /// - coefficients: `[batch][degrees.count][orders.count]`; returns `[batch][latitudes.count][longitudes.count]`
    public func inverse(_ coefficients: [Complex<T>], batch: Int) throws -> [T] { try inverseArray(coefficients, batch: batch) }
}

// The transforms are generic, and a generic method called from another module runs unspecialised (about
// three times slower here). `@_specialize(exported:)` on them broke the release build's link, so each
// precision gets concrete entry points, which the module specialises itself.
extension DistributedRealSHT where T == Float {
    /// - fields: `[batch][latitudes.count][longitudes.count]`; returns `[batch][degrees.count][orders.count]`
    public func forward(_ fields: [Float], batch: Int) throws -> [Complex<Float>] { try forwardArray(fields, batch: batch) }
    /// - coefficients: `[batch][degrees.count][orders.count]`; returns `[batch][latitudes.count][longitudes.count]`
    public func inverse(_ coefficients: [Complex<Float>], batch: Int) throws -> [Float] { try inverseArray(coefficients, batch: batch) }
    /// In place of the caller's arrays, in passes (`fieldsPerPass`): no batch-sized copies.
    /// - fields: `[batch][latitudes.count][longitudes.count]`; coefficients: `[batch][degrees.count][orders.count]`
    public func forward(_ fields: UnsafeBufferPointer<Float>, into coefficients: UnsafeMutableBufferPointer<Complex<Float>>,
                        batch: Int) throws {
        try forwardTransform(fields, into: coefficients, batch: batch)
    }
    /// - coefficients: `[batch][degrees.count][orders.count]`; fields: `[batch][latitudes.count][longitudes.count]`
    public func inverse(_ coefficients: UnsafeBufferPointer<Complex<Float>>, into fields: UnsafeMutableBufferPointer<Float>,
                        batch: Int) throws {
        try inverseTransform(coefficients, into: fields, batch: batch)
    }
}

extension DistributedRealSHT where T == Double {
    /// - fields: `[batch][latitudes.count][longitudes.count]`; returns `[batch][degrees.count][orders.count]`
    public func forward(_ fields: [Double], batch: Int) throws -> [Complex<Double>] { try forwardArray(fields, batch: batch) }
    /// - coefficients: `[batch][degrees.count][orders.count]`; returns `[batch][latitudes.count][longitudes.count]`
    public func inverse(_ coefficients: [Complex<Double>], batch: Int) throws -> [Double] { try inverseArray(coefficients, batch: batch) }
}
