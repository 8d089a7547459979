import ComplexModule
import Kernels
import MPI
import Sphere

/// `BlockTransforms` with the fields split over the spatial group (latitudes over `h`, longitudes over
/// `w`), through `DistributedRealSHT`. On a spatial group of one rank it runs the serial transforms, so
/// that a one-rank model is the serial model bit for bit.
///
/// Layouts (rank (hIndex, wIndex)):
/// - fields on the block's input grid: `[E][forward.latitudes][forward.longitudes]`;
/// - coefficients: `[E][degrees][orders]`, `degrees = splitRange(lmax, h, hIndex)`,
///   `orders = splitRange(mmax, w, wIndex)` (both grids share `lmax`, `mmax`, so forward and inverse agree);
/// - fields on the block's output grid: `[E][inverse.latitudes][inverse.longitudes]`.
struct DistributedBlockTransforms: Sendable {
    let serial: BlockTransforms
    let forward: DistributedRealSHT<Float>
    let inverse: DistributedRealSHT<Float>
    /// Whether the spatial group has more than one rank (else the serial transforms run).
    let distributed: Bool

    init(_ serial: BlockTransforms, grid: ProcessGrid) {
        self.serial = serial
        forward = DistributedRealSHT(serial.forward, grid: grid)
        inverse = DistributedRealSHT(serial.inverse, grid: grid)
        distributed = grid.spatial.size > 1
    }

    /// The one entry per block of `BlockTransforms.make`, distributed.
    static func make(for checkpoint: Checkpoint, grid: ProcessGrid) throws -> [DistributedBlockTransforms] {
        try BlockTransforms.make(for: checkpoint).map { DistributedBlockTransforms($0, grid: grid) }
    }

    /// This rank's degrees and orders of the coefficients.
    var degrees: Range<Int> { forward.degrees }
    var orders: Range<Int> { forward.orders }
    /// This rank's grid points of the input and output grids.
    var inputPoints: Int { forward.latitudes.count * forward.longitudes.count }
    var outputPoints: Int { inverse.latitudes.count * inverse.longitudes.count }
    /// Grid points per tile on this rank's slab of the output grid: the serial network's rows per tile, so
    /// that slabs starting at a multiple of them tile as the whole grid does (`Workspace.tileRows`).
    var outputTile: Int {
        Workspace.tile(nlat: serial.inverse.nlat, nlon: serial.inverse.nlon, longitudes: inverse.longitudes.count)
    }

    /// `BlockTransforms.spectralPath` on this rank's slab: `w.x` (`[E]` input-grid slabs) → distributed SHT
    /// → `filter` (this rank's degrees, and output channels when the channel group is split) → distributed
    /// inverse SHT into `w.y` (output-grid slabs). Returns the block's skip input, `w.x` (the input, or the input
    /// carried to the output grid and written over it, as `BlockTransforms.spectralPath` does).
    /// - filter: the weights of `degrees` (and `orders`, diagonal) for the output channels
    ///   `splitRange(E, channel.size, channel.rank)`
    /// - channel: the channel group; with more than one rank each computes its share of the filter's
    ///   output channels and one allgather over the group assembles all E
    func spectralPath(filter: SpectralConvolution, channels e: Int, work w: Workspace,
                      channel: Communicator) throws -> UnsafePointer<Float> {
        guard distributed || channel.size > 1 else { return serial.spectralPath(filter: filter, channels: e, work: w) }
        let spectrumCount = e * degrees.count * orders.count
        // 1. SHT. After this: [E][degrees][orders] in w.coefficients.
        try transform(forward, serial.forward, w.x, count: e * inputPoints, into: w.coefficients, batch: e)
        if serial.transformsResidual {
            // 2. The skip path to the output grid, over the consumed input. After this: [E][output latitudes][output longitudes].
            try transform(inverse, serial.inverse, w.coefficients, count: spectrumCount, into: w.x, batch: e)
        }
        // 3. The filter on this rank's degrees and orders (weights split by l over h): no communication.
        //    After this: [E / channel][degrees][orders].
        filter.apply(w.coefficients, into: w.filtered, firstDegree: degrees.lowerBound, firstOrder: orders.lowerBound)
        if channel.size > 1 {
            // 4. Output channels split over the channel group: one allgather. After this: [E][degrees][orders].
            let mine = Array(UnsafeBufferPointer(start: w.filtered, count: filter.outChannels * degrees.count * orders.count))
            let (all, _) = try channel.allgatherv(mine)
            precondition(all.count == spectrumCount, "DistributedBlockTransforms: the channel group's filters do not cover \(e) channels")
            all.withUnsafeBufferPointer { w.filtered.update(from: $0.baseAddress!, count: $0.count) }
        }
        // 5. Inverse SHT. After this: [E][output latitudes][output longitudes] in w.y.
        try transform(inverse, serial.inverse, w.filtered, count: spectrumCount, into: w.y, batch: e)
        return UnsafePointer(w.x)
    }

    /// Fields → coefficients through `distributedSHT` (or the serial transform on one spatial rank).
    private func transform(_ distributedSHT: DistributedRealSHT<Float>, _ serialSHT: RealSHT<Float>,
                           _ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Complex<Float>>, batch: Int) throws {
        if distributed {
            try distributedSHT.forward(UnsafeBufferPointer(start: x, count: count),
                                       into: UnsafeMutableBufferPointer(start: y, count: batch * distributedSHT.degrees.count * distributedSHT.orders.count),
                                       batch: batch)
        } else {
            serialSHT.forward(UnsafeBufferPointer(start: x, count: count),
                              UnsafeMutableBufferPointer(start: y, count: batch * serialSHT.lmax * serialSHT.mmax), batch: batch)
        }
    }

    /// Coefficients → fields through `distributedSHT` (or the serial transform on one spatial rank).
    private func transform(_ distributedSHT: DistributedRealSHT<Float>, _ serialSHT: RealSHT<Float>,
                           _ x: UnsafePointer<Complex<Float>>, count: Int, into y: UnsafeMutablePointer<Float>, batch: Int) throws {
        if distributed {
            try distributedSHT.inverse(UnsafeBufferPointer(start: x, count: count),
                                       into: UnsafeMutableBufferPointer(start: y, count: batch * distributedSHT.latitudes.count * distributedSHT.longitudes.count),
                                       batch: batch)
        } else {
            serialSHT.inverse(UnsafeBufferPointer(start: x, count: count),
                              UnsafeMutableBufferPointer(start: y, count: batch * serialSHT.nlat * serialSHT.nlon), batch: batch)
        }
    }
}

extension Workspace {
    /// The work arrays of a model-parallel rank: its largest slab of the network's grids and its share of the
    /// coefficients, not the whole grid's.
    /// - points: this rank's slab of the model grid
    init(arena: ScratchArena, checkpoint: Checkpoint, slab points: Int, transforms: [DistributedBlockTransforms]) {
        let largest = transforms.reduce(points) { max($0, $1.inputPoints, $1.outputPoints) }
        let coefficients = transforms.map { $0.degrees.count * $0.orders.count }.max() ?? checkpoint.lmax * checkpoint.mmax
        self.init(arena: arena, checkpoint: checkpoint, points: largest, coefficientsPerChannel: coefficients)
    }
}
