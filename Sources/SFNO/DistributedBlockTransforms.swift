import ComplexModule
import Kernels
import MPI
import Sphere

/// `BlockTransforms` with the fields split over the spatial group (latitudes over `h`, longitudes over
/// `w`), through `DistributedRealSHT`. Without a grid, or on a spatial group of one rank, it runs the serial
/// transforms, so that a one-rank model is the serial model bit for bit.
///
/// Layouts (rank (hIndex, wIndex)), each for `members` members one after the other:
/// - fields on the block's input grid: `[members][E][forward.latitudes][forward.longitudes]`;
/// - coefficients: `[members][E][degrees][orders]`, `degrees = splitRange(lmax, h, hIndex)`,
///   `orders = splitRange(mmax, w, wIndex)` (both grids share `lmax`, `mmax`, so forward and inverse agree);
/// - fields on the block's output grid: `[members][E][inverse.latitudes][inverse.longitudes]`.
struct DistributedBlockTransforms: Sendable {
    let serial: BlockTransforms
    /// The split transforms: nil without a grid or on a spatial group of one rank (the serial ones run).
    let split: (forward: DistributedRealSHT<Float>, inverse: DistributedRealSHT<Float>)?
    /// This rank's rows and columns of the input and output grids, and its degrees and orders.
    let inputLatitudes: Range<Int>, inputLongitudes: Range<Int>
    let outputLatitudes: Range<Int>, outputLongitudes: Range<Int>
    let degrees: Range<Int>, orders: Range<Int>

    /// - grid: the model group's communicators; nil: a serial network
    init(_ serial: BlockTransforms, grid: ProcessGrid?) {
        self.serial = serial
        if let grid {
            let forward = DistributedRealSHT(serial.forward, grid: grid)
            let inverse = DistributedRealSHT(serial.inverse, grid: grid)
            split = grid.spatial.size > 1 ? (forward, inverse) : nil
            (inputLatitudes, inputLongitudes) = (forward.latitudes, forward.longitudes)
            (outputLatitudes, outputLongitudes) = (inverse.latitudes, inverse.longitudes)
            (degrees, orders) = (forward.degrees, forward.orders)
        } else {
            split = nil
            (inputLatitudes, inputLongitudes) = (0..<serial.forward.nlat, 0..<serial.forward.nlon)
            (outputLatitudes, outputLongitudes) = (0..<serial.inverse.nlat, 0..<serial.inverse.nlon)
            (degrees, orders) = (0..<serial.forward.lmax, 0..<serial.forward.mmax)
        }
    }

    /// The one entry per block of `BlockTransforms.make`, split over `grid` (serial without one).
    static func make(for checkpoint: Checkpoint, grid: ProcessGrid?) throws -> [DistributedBlockTransforms] {
        try BlockTransforms.make(for: checkpoint).map { DistributedBlockTransforms($0, grid: grid) }
    }

    /// This rank's grid points of the input and output grids.
    var inputPoints: Int { inputLatitudes.count * inputLongitudes.count }
    var outputPoints: Int { outputLatitudes.count * outputLongitudes.count }
    /// Grid points per tile on this rank's slab of the output grid: the serial network's rows per tile, so
    /// that slabs starting at a multiple of them tile as the whole grid does (`Workspace.tileRows`).
    var outputTile: Int {
        Workspace.tile(nlat: serial.inverse.nlat, nlon: serial.inverse.nlon, longitudes: outputLongitudes.count)
    }

    /// `BlockTransforms.spectralPath` on this rank's slab: `w.x` (`[members][E]` input-grid slabs) →
    /// distributed SHT → `filter` (this rank's degrees, and output channels when the channel group is split)
    /// → distributed inverse SHT into `w.y` (output-grid slabs). Returns the block's skip input, `w.x` (the
    /// input, or the input carried to the output grid and written over it, as `BlockTransforms.spectralPath`
    /// does).
    ///
    /// The members' fields share each transform's batch where `BlockTransforms.batchesMembers` (measured to
    /// give each member its own numbers bit for bit, serial and split over h: MemberBatchTests); the filter
    /// and the channel group's allgather go member by member.
    /// - filter: the weights of `degrees` (and `orders`, diagonal) for the output channels
    ///   `splitRange(E, channel.size, channel.rank)`
    /// - channel: the channel group (nil: one rank); with more than one rank each computes its share of the
    ///   filter's output channels and one allgather per member over the group assembles all E
    func spectralPath(filter: SpectralConvolution, channels e: Int, members: Int, work w: Workspace,
                      channel: Communicator?) throws -> UnsafePointer<Float> {
        let channelRanks = channel?.size ?? 1
        guard split != nil || channelRanks > 1 else {
            return serial.spectralPath(filter: filter, channels: e, members: members, work: w)
        }
        let perMember = e * degrees.count * orders.count
        let fieldsPerCall = BlockTransforms.batchesMembers(channels: e) ? e * members : e
        let calls = e * members / fieldsPerCall
        // 1. SHT. After this: [members][E][degrees][orders] in w.coefficients.
        for k in 0..<calls {
            try analyse(w.x + k * fieldsPerCall * inputPoints, into: w.coefficients + k * fieldsPerCall * degrees.count * orders.count,
                        batch: fieldsPerCall)
        }
        if serial.transformsResidual {
            // 2. The skip path to the output grid, over the consumed input. After this: [members][E][output slab].
            for k in 0..<calls {
                try synthesise(w.coefficients + k * fieldsPerCall * degrees.count * orders.count,
                               into: w.x + k * fieldsPerCall * outputPoints, batch: fieldsPerCall)
            }
        }
        for m in 0..<members {
            // 3. The filter on this rank's degrees and orders (weights split by l over h): no communication.
            //    After this: [E / channel][degrees][orders] of member m.
            let filtered = w.filtered + m * perMember
            filter.apply(w.coefficients + m * perMember, into: filtered, firstDegree: degrees.lowerBound, firstOrder: orders.lowerBound)
            if let channel, channel.size > 1 {
                // 4. Output channels split over the channel group: one allgather. After this: [E][degrees][orders].
                let mine = Array(UnsafeBufferPointer(start: filtered, count: filter.outChannels * degrees.count * orders.count))
                let (all, _) = try channel.allgatherv(mine)
                precondition(all.count == perMember, "DistributedBlockTransforms: the channel group's filters do not cover \(e) channels")
                all.withUnsafeBufferPointer { filtered.update(from: $0.baseAddress!, count: $0.count) }
            }
        }
        // 5. Inverse SHT. After this: [members][E][output latitudes][output longitudes] in w.y.
        for k in 0..<calls {
            try synthesise(w.filtered + k * fieldsPerCall * degrees.count * orders.count, into: w.y + k * fieldsPerCall * outputPoints,
                           batch: fieldsPerCall)
        }
        return UnsafePointer(w.x)
    }

    /// Fields → coefficients of `batch` fields through the split transform (or the serial one on one spatial rank).
    private func analyse(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Complex<Float>>, batch: Int) throws {
        let spectrum = batch * degrees.count * orders.count
        if let split {
            try split.forward.forward(UnsafeBufferPointer(start: x, count: batch * inputPoints),
                                      into: UnsafeMutableBufferPointer(start: y, count: spectrum), batch: batch)
        } else {
            serial.forward.forward(UnsafeBufferPointer(start: x, count: batch * inputPoints),
                                   UnsafeMutableBufferPointer(start: y, count: spectrum), batch: batch)
        }
    }

    /// Coefficients → fields on the output grid of `batch` fields (split or serial, as `analyse`).
    private func synthesise(_ x: UnsafePointer<Complex<Float>>, into y: UnsafeMutablePointer<Float>, batch: Int) throws {
        let spectrum = batch * degrees.count * orders.count
        if let split {
            try split.inverse.inverse(UnsafeBufferPointer(start: x, count: spectrum),
                                      into: UnsafeMutableBufferPointer(start: y, count: batch * outputPoints), batch: batch)
        } else {
            serial.inverse.inverse(UnsafeBufferPointer(start: x, count: spectrum),
                                   UnsafeMutableBufferPointer(start: y, count: batch * outputPoints), batch: batch)
        }
    }
}

extension Workspace {
    /// The work arrays of a network on this rank: its largest slab of the network's grids and its share of
    /// the coefficients (a serial network's: the whole grids and spectra), for `members` members.
    /// - points: this rank's slab of the model grid
    init(arena: ScratchArena, checkpoint: Checkpoint, slab points: Int, transforms: [DistributedBlockTransforms], members: Int) {
        let largest = transforms.reduce(points) { max($0, $1.inputPoints, $1.outputPoints) }
        let coefficients = transforms.map { $0.degrees.count * $0.orders.count }.max() ?? checkpoint.lmax * checkpoint.mmax
        self.init(arena: arena, checkpoint: checkpoint, points: largest, coefficientsPerChannel: coefficients, members: members)
    }
}
