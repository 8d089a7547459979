import Foundation
import Kernels
import MPI
import ModelInterface

/// `TorchHarmonicsSFNO` split over a model-parallel process grid (layout h × w × channel), after makani's
/// spatial and channel model parallelism. Every rank holds its slab of every activation and only its
/// shard of the spectral weights, read as HDF5 hyperslabs (`weightBytes`).
///
/// Distribution scheme (rank (hIndex, wIndex); docs/sfno.md, "Model parallelism"):
/// 1. fields `[channels][lat ∈ splitRange(nlat, h)][lon ∈ splitRange(nlon, w)]` of the grid they live on
///    (model grid, or the internal grid inside the blocks);
/// 2. encoder, decoder, MLP, big skip, spectral bias: pointwise, local, weights replicated;
/// 3. position embedding and layer-norm weights: this rank's slab, read as hyperslabs;
/// 4. SHT / inverse SHT (with the scale-factor regridding of the first and last blocks):
///    `DistributedRealSHT`, four alltoallv over w and four over h per transform pair;
/// 5. spectral filter: coefficients `[E][l ∈ splitRange(lmax, h)][m ∈ splitRange(mmax, w)]`, the per-degree
///    weights of this rank's degrees only (split by l over h, replicated over w): no communication;
/// 6. instance / layer norm: per-channel (count, mean, M2) allgathered over the spatial group and merged.
///
/// 7. channel group (layout channel > 1): activations replicated over it; the spectral filter's output
///    channels split over it (one allgather of the filtered coefficients per block), the MLP's hidden layer
///    split (`DistributedMLP`, one allreduce per block); encoder, decoder (single convolutions) replicated.
///
/// On a model group of one rank every layer is the serial one: the numbers are `TorchHarmonicsSFNO`'s.
public final class DistributedTorchHarmonicsSFNO: ForecastModel, @unchecked Sendable {
    struct Block {
        let transforms: DistributedBlockTransforms
        /// The weights of `transforms.degrees` only.
        let filter: SpectralConvolution
        let spectralBias: [Float]?
        let norm: DistributedNormalisation?
        let mlp: DistributedMLP?
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
    let residualProjection: Conv1x1?
    let channel: Communicator
    let scratch = ScratchPool()

    public var stateChannels: [String] { checkpoint.outputChannelNames }
    /// The whole model grid (the state each rank passes holds only its slab, `decomposition`).
    public var nlat: Int { checkpoint.nlat }
    public var nlon: Int { checkpoint.nlon }
    public var stepHours: Int { checkpoint.dhours }
    public var inChannels: Int { checkpoint.inChannels }
    public var outChannels: Int { checkpoint.outChannels }

    /// Reads the description of `path` and this rank's shard of its weights. Not collective (every rank
    /// reads its own hyperslabs).
    /// - precision: of the 1×1 convolutions (`Checkpoint.gemmPrecision`)
    public init(checkpoint path: String, grid: ProcessGrid, precision: GEMMPrecision = .fp32) throws {
        var c = try Checkpoint(path: path, weights: false)
        c.gemmPrecision = precision
        try c.checkGEMMPrecision()
        guard c.architecture == .torchHarmonics else {
            throw SFNOError(file: path, object: "@architecture", "DistributedTorchHarmonicsSFNO needs a torch-harmonics-sfno checkpoint")
        }
        checkpoint = c
        channel = grid.channel
        decomposition = ModelDecomposition(grid: grid, nlat: c.nlat, nlon: c.nlon)
        let reader = try CheckpointShardReader(c)
        let d = decomposition
        encoder = try DistributedEncoderDecoder(reader: reader, conv: "encoder.0", bias: c.encoderBias, activation: c.activation, channel: grid.channel)
        decoder = try DistributedEncoderDecoder(reader: reader, conv: "decoder.0", bias: c.decoderBias, activation: c.activation, channel: grid.channel)
        // The spectral filters' output channels of this rank of the channel group.
        let filterOutputs = grid.channel.size > 1 ? splitRange(c.embedDim, parts: grid.channel.size, index: grid.channel.rank) : nil
        if c.posEmbed == "none" {
            embedding = nil
        } else {
            let latitudeOnly = c.posEmbed == "learnable lat"
            let values = try reader.read("pos_embed.position_embeddings", [nil, nil, d.latitudes, latitudeOnly ? nil : d.longitudes])
            embedding = PositionEmbedding(values: values, channels: c.embedDim, nlat: d.latitudes.count,
                                          nlon: d.longitudes.count, latitudeOnly: latitudeOnly)
        }
        residualProjection = c.bigSkip && c.inChannels != c.outChannels ? try reader.conv("residual_projection", bias: false) : nil
        let transforms = try DistributedBlockTransforms.make(for: c, grid: grid)
        blocks = try transforms.enumerated().map { i, t in
            let b = "blocks.\(i)"
            let norm: DistributedNormalisation?
            switch c.normalization {
            case .instanceNorm:
                norm = DistributedNormalisation(kind: .instance(InstanceNorm(weight: try reader.read("\(b).norm.weight"),
                                                                             bias: try reader.read("\(b).norm.bias"), eps: c.normEps)),
                                                spatial: grid.spatial)
            case .layerNorm:
                // This rank's slab of the block's output grid.
                let slab: [Range<Int>?] = [t.inverse.latitudes, t.inverse.longitudes]
                let weight = try reader.read("\(b).norm.weight", slab), bias = try reader.read("\(b).norm.bias", slab)
                norm = DistributedNormalisation(kind: .layer(LayerNorm(weight: weight, bias: bias, eps: c.normEps), weight: weight, bias: bias),
                                                spatial: grid.spatial)
            case .none:
                norm = nil
            }
            return Block(
                transforms: t,
                filter: try reader.spectralConvolution("\(b).global_conv.weight", degrees: t.degrees, orders: t.orders,
                                                       outputs: filterOutputs),
                spectralBias: c.spectralBias ? try reader.read("\(b).global_conv.bias") : nil,
                norm: norm,
                mlp: c.useMLP ? try DistributedMLP(reader: reader, fc1: "\(b).mlp.fwd.0", fc2: "\(b).mlp.fwd.\(c.mlpFC2Index)",
                                                   fc2Bias: c.mlpOutputBias, activation: c.activation, channel: grid.channel) : nil)
        }
        weightBytes = reader.bytesRead
    }

    /// The network applied once to this rank's slab. Collective over the spatial group.
    /// - input: `[inChannels][latitudes][longitudes]` (`decomposition`); returns `[outChannels][latitudes][longitudes]`
    public func forward(_ input: [Float]) throws -> [Float] {
        let points = decomposition.points
        precondition(input.count == inChannels * points,
                     "DistributedTorchHarmonicsSFNO.forward: input holds \(input.count) values, expected \(inChannels) × \(points) (this rank's slab)")
        let e = checkpoint.embedDim
        return try scratch.withArena { arena in
            var w = Workspace(arena: arena, checkpoint: checkpoint, slab: points, transforms: blocks.map(\.transforms))
            let modelTile = Workspace.tile(nlat: nlat, nlon: nlon, longitudes: decomposition.longitudes.count)
            try input.withUnsafeBufferPointer { try encoder.apply($0.baseAddress!, points: points, work: w.tiles, tile: modelTile, into: w.x) }
            embedding?.add(to: UnsafeMutableBufferPointer(start: w.x, count: e * points))
            for block in blocks {
                let outPoints = block.transforms.outputPoints
                let residual = try block.transforms.spectralPath(filter: block.filter, channels: e, work: w, channel: channel)
                if let bias = block.spectralBias {
                    addChannelBias(w.y, bias, points: outPoints)
                }
                try block.norm?.apply(w.y, channels: e, points: outPoints)
                try block.mlp?.applyInPlace(w.y, channels: e, points: outPoints, work: w.tiles, tile: block.transforms.outputTile)
                addInPlace(w.y, residual, count: e * outPoints)
                swap(&w.x, &w.y)
            }
            var output = [Float](repeating: 0, count: outChannels * points)
            try output.withUnsafeMutableBufferPointer { out in
                try decoder.apply(w.x, points: points, work: w.tiles, tile: modelTile, into: out.baseAddress!)
                guard checkpoint.bigSkip else { return }
                input.withUnsafeBufferPointer { input in
                    if let projection = residualProjection {
                        projection.apply(input.baseAddress!, points: points, into: out.baseAddress!, accumulate: true, tile: modelTile)
                    } else {
                        addInPlace(out.baseAddress!, input.baseAddress!, count: out.count)
                    }
                }
            }
            return output
        }
    }

    /// One step of this rank's slab (physical units). Collective over the model group.
    /// - state: `[stateChannels.count][latitudes][longitudes]`
    public func step(_ state: inout [Float], validTime: Date) throws {
        normalise(&state)
        try stepNormalised(&state, validTime: validTime)
        denormalise(&state)
    }

    public func stepNormalised(_ state: inout [Float], validTime: Date) throws {
        guard inChannels == outChannels else {
            throw SFNOError(file: checkpoint.path, "the network maps \(inChannels) channels to \(outChannels); it cannot be stepped autoregressively",
                            fix: "use a network with as many input as output channels, or apply it once with forward(_:)")
        }
        guard state.count == inChannels * decomposition.points else {
            throw SFNOError(file: checkpoint.path, "state holds \(state.count) values, expected \(inChannels) × \(decomposition.points) (this rank's slab)")
        }
        state = try forward(state)
    }

    /// Per channel, so any slab works.
    public func normalise(_ state: inout [Float]) { checkpoint.normalise(&state) }
    public func denormalise(_ state: inout [Float]) { checkpoint.denormalise(&state) }
}
