import Foundation
import Kernels
import MPI
import ModelInterface

/// `MakaniSFNO` (the HENS network) split over a model-parallel process grid (layout h × w × channel), as
/// makani's spatial and channel model parallelism. Every rank holds its slab of every activation and
/// only its shard of the spectral weights, read as HDF5 hyperslabs (`weightBytes`).
///
/// Distribution scheme (rank (hIndex, wIndex); docs/sfno.md, "Model parallelism"):
/// 1. fields `[channels][lat ∈ splitRange(nlat, h)][lon ∈ splitRange(nlon, w)]` of the grid they live on;
/// 2. preprocessing on the slab: z-score per channel, cos zenith computed for the slab's points, grid
///    features / orography / land-sea mask sliced once at load;
/// 3. encoder, decoder, MLP, outer skip, residual transform: pointwise, local, weights replicated;
///    position embedding (`direct`): this rank's slab, read as a hyperslab;
/// 4. SHT / inverse SHT (with the scale-factor regridding of the first and last blocks): `DistributedRealSHT`;
/// 5. spectral filter (`dhconv`, `diagonal`): coefficients `[E][l ∈ splitRange(lmax, h)][m ∈ splitRange(mmax, w)]`,
///    weights of this rank's degrees (and, diagonal, orders) only: no communication;
/// 6. instance norms: per-channel (count, mean, M2) allgathered over the spatial group and merged.
///
/// 7. channel group (layout channel > 1): activations replicated over it; the spectral filter's output
///    channels split over it (one allgather of the filtered coefficients per block), the MLP's hidden layer
///    split (`DistributedMLP`, one allreduce per block), encoder and decoder with one hidden layer split the
///    same way (one allreduce each); outer skips and the residual transform replicated.
///
/// On a model group of one rank every layer is the serial one: the numbers are `MakaniSFNO`'s.
public final class DistributedMakaniSFNO: ForecastModel, @unchecked Sendable {
    struct Block {
        let transforms: DistributedBlockTransforms
        let filter: SpectralConvolution
        let norm0: DistributedNormalisation?
        let norm1: DistributedNormalisation?
        let mlp: DistributedMLP?
        let outerSkip: Conv1x1
    }

    /// The checkpoint's description (no weights).
    public let checkpoint: Checkpoint
    /// Where this rank's slab of the model grid lies; `scatter` / `gather` move whole states.
    public let decomposition: ModelDecomposition
    /// Bytes of weights this rank read and holds.
    public let weightBytes: Int
    let encoder: DistributedEncoderDecoder
    let embedding: PositionEmbedding?
    let blocks: [Block]
    let decoder: DistributedEncoderDecoder
    let residualTransform: Conv1x1?
    let channel: Communicator
    /// This rank's slab of the grid features, orography and land-sea mask: `[channels][latitudes][longitudes]`.
    public let staticChannels: [Float]
    let scratch = ScratchPool()

    public var stateChannels: [String] { checkpoint.stateChannelNames }
    /// The whole model grid (the state each rank passes holds only its slab, `decomposition`).
    public var nlat: Int { checkpoint.nlat }
    public var nlon: Int { checkpoint.nlon }
    public var stepHours: Int { checkpoint.dhours }

    /// Reads the description of `path` and this rank's shard of its weights. Not collective.
    /// - precision: of the 1×1 convolutions (`Checkpoint.gemmPrecision`)
    public init(checkpoint path: String, grid: ProcessGrid, precision: GEMMPrecision = .fp32) throws {
        var c = try Checkpoint(path: path, weights: false)
        c.gemmPrecision = precision
        try c.checkGEMMPrecision()
        guard c.architecture == .makani else {
            throw SFNOError(file: path, object: "@architecture", "DistributedMakaniSFNO needs a makani-sfno checkpoint")
        }
        guard c.zscore else {
            throw SFNOError(file: c.path, object: "@normalization", "makani networks need 'zscore'", fix: "reconvert the package")
        }
        checkpoint = c
        channel = grid.channel
        let d = ModelDecomposition(grid: grid, nlat: c.nlat, nlon: c.nlon)
        decomposition = d
        let reader = try CheckpointShardReader(c)
        encoder = try DistributedEncoderDecoder(reader: reader, makani: "encoder", hiddenLayers: c.encoderHiddenLayers,
                                                activation: c.activation, channel: grid.channel)
        decoder = try DistributedEncoderDecoder(reader: reader, makani: "decoder", hiddenLayers: c.decoderHiddenLayers,
                                                activation: c.activation, channel: grid.channel)
        let filterOutputs = grid.channel.size > 1 ? splitRange(c.embedDim, parts: grid.channel.size, index: grid.channel.rank) : nil
        embedding = c.posEmbed == "direct"
            ? PositionEmbedding(values: try reader.read("model.pos_embed", [nil, nil, d.latitudes, d.longitudes]),
                                channels: c.embedDim, nlat: d.latitudes.count, nlon: d.longitudes.count, latitudeOnly: false)
            : nil
        residualTransform = c.bigSkip ? try reader.conv("model.residual_transform", bias: false) : nil
        let statics = try MakaniPreprocessing.staticChannels(c)
        staticChannels = d.slab(of: statics, channels: statics.count / (c.nlat * c.nlon))
        let transforms = try DistributedBlockTransforms.make(for: c, grid: grid)
        func norm(_ key: String) throws -> DistributedNormalisation? {
            guard c.normalization == .instanceNorm else { return nil }
            return DistributedNormalisation(kind: .instance(InstanceNorm(weight: try reader.read("\(key).weight"),
                                                                         bias: try reader.read("\(key).bias"), eps: c.normEps)),
                                            spatial: grid.spatial)
        }
        blocks = try transforms.enumerated().map { i, t in
            let b = "model.blocks.\(i)"
            return Block(transforms: t,
                         filter: try reader.spectralConvolution("\(b).filter.filter.weight", degrees: t.degrees, orders: t.orders,
                                                                outputs: filterOutputs),
                         norm0: try norm("\(b).norm0"), norm1: try norm("\(b).norm1"),
                         mlp: c.useMLP ? try DistributedMLP(reader: reader, fc1: "\(b).mlp.fwd.0", fc2: "\(b).mlp.fwd.3", fc2Bias: true,
                                                            activation: c.activation, channel: grid.channel) : nil,
                         outerSkip: try reader.conv("\(b).outer_skip", bias: false))
        }
        weightBytes = reader.bytesRead
    }

    // MARK: - Inputs

    /// The network input on this rank's slab for a normalised state valid at `validTime`.
    /// - normalised: `[state][latitudes][longitudes]`; returns `[inChannels][latitudes][longitudes]`
    public func networkInput(normalised: [Float], validTime: Date) -> [Float] {
        let d = decomposition
        var input = normalised
        input.reserveCapacity(checkpoint.inChannels * d.points)
        if checkpoint.addZenith {
            input += CosZenith.field(at: validTime, nlat: nlat, nlon: nlon, latitudes: d.latitudes, longitudes: d.longitudes)
        }
        input += staticChannels
        precondition(input.count == checkpoint.inChannels * d.points, "DistributedMakaniSFNO: assembled input has the wrong size")
        return input
    }

    public func normalise(_ state: inout [Float]) { checkpoint.normalise(&state) }
    public func denormalise(_ state: inout [Float]) { checkpoint.denormalise(&state) }

    // MARK: - Forward

    /// The network applied once to this rank's slab. Collective over the spatial group.
    /// - input: `[inChannels][latitudes][longitudes]`; returns `[outChannels][latitudes][longitudes]` (normalised)
    public func forward(_ input: [Float]) throws -> [Float] {
        let points = decomposition.points
        precondition(input.count == checkpoint.inChannels * points, "DistributedMakaniSFNO.forward: input has the wrong size")
        let e = checkpoint.embedDim
        let activation = checkpoint.activation
        return try scratch.withArena { arena in
            var w = Workspace(arena: arena, checkpoint: checkpoint, slab: points, transforms: blocks.map(\.transforms))
            let modelTile = Workspace.tile(nlat: nlat, nlon: nlon, longitudes: decomposition.longitudes.count)
            try input.withUnsafeBufferPointer { try encoder.apply($0.baseAddress!, points: points, work: w.tiles, tile: modelTile, into: w.x) }
            embedding?.add(to: UnsafeMutableBufferPointer(start: w.x, count: e * points))
            for block in blocks {
                let outPoints = block.transforms.outputPoints
                let residual = try block.transforms.spectralPath(filter: block.filter, channels: e, work: w, channel: channel)
                try block.norm0?.apply(w.y, channels: e, points: outPoints)
                activation.apply(UnsafeMutableBufferPointer(start: w.y, count: e * outPoints))
                try block.mlp?.applyInPlace(w.y, channels: e, points: outPoints, work: w.tiles, tile: block.transforms.outputTile)
                try block.norm1?.apply(w.y, channels: e, points: outPoints)
                block.outerSkip.apply(residual, points: outPoints, into: w.y, accumulate: true, tile: block.transforms.outputTile)
                swap(&w.x, &w.y)
            }
            var output = [Float](repeating: 0, count: checkpoint.outChannels * points)
            try output.withUnsafeMutableBufferPointer { out in
                try decoder.apply(w.x, points: points, work: w.tiles, tile: modelTile, into: out.baseAddress!)
                if let residualTransform {
                    input.withUnsafeBufferPointer {
                        residualTransform.apply($0.baseAddress!, points: points, into: out.baseAddress!, accumulate: true, tile: modelTile)
                    }
                }
            }
            return output
        }
    }

    /// One step on this rank's slab of the normalised state. Collective over the model group.
    /// - normalised: `[state][latitudes][longitudes]`
    public func stepNormalised(_ normalised: inout [Float], validTime: Date) throws {
        normalised = try forward(networkInput(normalised: normalised, validTime: validTime))
    }

    public func step(_ state: inout [Float], validTime: Date) throws {
        guard state.count == checkpoint.stateChannelCount * decomposition.points else {
            throw SFNOError(file: checkpoint.path,
                            "state holds \(state.count) values, expected \(checkpoint.stateChannelCount) × \(decomposition.points) (this rank's slab)")
        }
        normalise(&state)
        try stepNormalised(&state, validTime: validTime)
        denormalise(&state)
    }
}
