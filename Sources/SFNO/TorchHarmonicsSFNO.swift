import Foundation
import Kernels
import MPI
import ModelInterface

/// torch-harmonics 0.9.3's example `SphericalFourierNeuralOperator` (examples/models/sfno.py), at inference,
/// serial or split over a model group.
///
/// ```
/// residual = x
/// x = encoder(x) (+ position embedding)
/// block: xs = SHT(x); res = ISHT(xs) if the grids differ in shape else x
///        y = ISHT(W_l · xs) (+ bias); y = norm(y); y = fc2(act(fc1(y))); x = y + res
/// x = decoder(x) (+ residual, or residual_projection(residual) when in ≠ out channels)
/// ```
/// Nothing time dependent: `step` applies the network once — to the z-scored state and denormalising the
/// result when the checkpoint carries `normalization = zscore` (docs/checkpoint-format.md), else to the
/// state as it is.
///
/// Each layer runs serial or model-parallel by the size of its communicator (as `MakaniSFNO`): without a
/// grid, or on a model group of one rank, every layer is the serial one. Split over a model group (layout
/// h × w × channel, after makani's spatial and channel model parallelism), every rank holds its slab of
/// every activation and only its shard of the spectral weights, read as HDF5 hyperslabs (`weightBytes`).
/// Distribution scheme (rank (hIndex, wIndex); docs/sfno.md, "Model parallelism"):
/// 1. fields `[channels][lat ∈ splitRange(nlat, h)][lon ∈ splitRange(nlon, w)]` of the grid they live on
///    (model grid, or the internal grid inside the blocks);
/// 2. encoder, decoder, MLP, big skip, spectral bias: pointwise, local, weights replicated;
/// 3. position embedding and layer-norm weights: this rank's slab, read as hyperslabs;
/// 4. SHT / inverse SHT (with the scale-factor regridding of the first and last blocks):
///    `DistributedRealSHT`, four alltoallv over w and four over h per transform pair;
/// 5. spectral filter: coefficients `[E][l ∈ splitRange(lmax, h)][m ∈ splitRange(mmax, w)]`, the per-degree
///    weights of this rank's degrees only (split by l over h, replicated over w): no communication;
/// 6. instance / layer norm: per-channel (count, mean, M2) allgathered over the spatial group and merged;
/// 7. channel group (layout channel > 1): activations replicated over it; the spectral filter's output
///    channels split over it (one allgather of the filtered coefficients per block), the MLP's hidden layer
///    split (`DistributedMLP`, one allreduce per block); encoder, decoder (single convolutions) replicated.
///
/// Members: `forward(members:count:)` takes B members and every layer works on all of them; each member's
/// numbers are its single-member pass's bit for bit (MemberBatchTests).
public final class TorchHarmonicsSFNO: SFNONetwork, @unchecked Sendable {
    struct Block {
        let transforms: DistributedBlockTransforms
        /// The weights of `transforms.degrees` only.
        let filter: SpectralConvolution
        let spectralBias: [Float]?
        let norm: DistributedNormalisation?
        let mlp: DistributedMLP?
    }

    /// The checkpoint's description (no weights: they live in the layers).
    public let checkpoint: Checkpoint
    /// Where this rank's slab of the model grid lies (nil: a serial network, the whole grid).
    public let decomposition: ModelDecomposition?
    /// Bytes of weights this rank read and holds.
    public let weightBytes: Int
    let encoder: DistributedEncoderDecoder
    let embedding: PositionEmbedding?
    let blocks: [Block]
    let decoder: DistributedEncoderDecoder
    /// `[out][in]` when the big skip needs a projection.
    let residualProjection: Conv1x1?
    /// The channel group (nil: serial).
    let channel: Communicator?
    /// Work arrays kept between steps (one arena per concurrent caller).
    let scratch = ScratchPool()

    public var stateChannels: [String] { checkpoint.outputChannelNames }
    /// The whole model grid (a split network's states hold only this rank's slab, `decomposition`).
    public var nlat: Int { checkpoint.nlat }
    public var nlon: Int { checkpoint.nlon }
    public var stepHours: Int { checkpoint.dhours }
    public var inChannels: Int { checkpoint.inChannels }
    public var outChannels: Int { checkpoint.outChannels }

    /// Reads the description of `path` and this rank's shard of its weights (all of them without a grid).
    /// Not collective (every rank reads its own hyperslabs).
    /// - grid: the model group to split over; nil: serial
    /// - precision: of the 1×1 convolutions (`Checkpoint.gemmPrecision`)
    public init(checkpoint path: String, grid: ProcessGrid? = nil, precision: GEMMPrecision = .fp32) throws {
        var c = try Checkpoint(path: path, weights: false)
        c.gemmPrecision = precision
        try c.requireArchitecture(.torchHarmonics, network: "TorchHarmonicsSFNO")
        try c.checkGEMMPrecision()
        checkpoint = c
        channel = grid?.channel
        let d = grid.map { ModelDecomposition(grid: $0, nlat: c.nlat, nlon: c.nlon) }
        decomposition = d
        let reader = try CheckpointShardReader(c)
        encoder = try DistributedEncoderDecoder(reader: reader, conv: "encoder.0", bias: c.encoderBias, activation: c.activation)
        decoder = try DistributedEncoderDecoder(reader: reader, conv: "decoder.0", bias: c.decoderBias, activation: c.activation)
        // The spectral filters' output channels of this rank of the channel group.
        let filterOutputs = grid.flatMap { $0.channel.size > 1 ? splitRange(c.embedDim, parts: $0.channel.size, index: $0.channel.rank) : nil }
        if c.posEmbed == "none" {
            embedding = nil
        } else {
            let latitudeOnly = c.posEmbed == "learnable lat"
            let (latitudes, longitudes) = (d?.latitudes ?? 0..<c.nlat, d?.longitudes ?? 0..<c.nlon)
            let values = try reader.read("pos_embed.position_embeddings", [nil, nil, latitudes, latitudeOnly ? nil : longitudes])
            embedding = PositionEmbedding(values: values, channels: c.embedDim, nlat: latitudes.count,
                                          nlon: longitudes.count, latitudeOnly: latitudeOnly)
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
                                                spatial: grid?.spatial)
            case .layerNorm:
                // This rank's slab of the block's output grid.
                let slab: [Range<Int>?] = [t.outputLatitudes, t.outputLongitudes]
                let weight = try reader.read("\(b).norm.weight", slab), bias = try reader.read("\(b).norm.bias", slab)
                norm = DistributedNormalisation(kind: .layer(LayerNorm(weight: weight, bias: bias, eps: c.normEps), weight: weight, bias: bias),
                                                spatial: grid?.spatial)
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
                                                   fc2Bias: c.mlpOutputBias, activation: c.activation, channel: grid?.channel) : nil)
        }
        weightBytes = reader.bytesRead
    }

    /// The serial network of `checkpoint`'s file, its 1×1 convolutions in `checkpoint.gemmPrecision` (the
    /// weights are read from the file again, as a split network reads its shard).
    public convenience init(_ checkpoint: Checkpoint) throws {
        try self.init(checkpoint: checkpoint.path, precision: checkpoint.gemmPrecision)
    }

    /// Grid points of this rank's slab of the model grid.
    var points: Int { decomposition?.points ?? nlat * nlon }

    /// The network applied once to `count` members together: `[count][inChannels][latitudes][longitudes]` →
    /// `[count][outChannels][latitudes][longitudes]` (this rank's slab). Every layer works on all of them (the
    /// transforms in one batch where `BlockTransforms.batchesMembers`, one allgather per norm; the pointwise
    /// layers member after member, tile by tile); each member's numbers are its single-member pass's bit
    /// for bit, whatever `count` and its neighbours in the batch. Collective over the model group.
    /// - observe: called with the activations after the encoder (`"encoder"`), after each block
    ///   (`"block0"`, …) and after the decoder before the big skip (`"decoder"`), every member's
    ///   (`[count][channels][slab points]`), for checks and debugging
    public func forward(members input: [Float], count members: Int,
                        observe: ((String, UnsafeBufferPointer<Float>) -> Void)? = nil) throws -> [Float] {
        let points = points
        precondition(members >= 1 && input.count == members * inChannels * points,
                     "TorchHarmonicsSFNO.forward: input holds \(input.count) values, expected \(members) × \(inChannels) × \(points)")
        let e = checkpoint.embedDim
        return try scratch.withArena { arena in
            var w = Workspace(arena: arena, checkpoint: checkpoint, slab: points, transforms: blocks.map(\.transforms), members: members)
            let modelTile = Workspace.tile(nlat: nlat, nlon: nlon, longitudes: decomposition?.longitudes.count)
            try w.encode(input, with: encoder, embedding: embedding, embedDim: e, points: points, members: members, tile: modelTile)
            observe?("encoder", UnsafeBufferPointer(start: w.x, count: members * e * points))
            for (index, block) in blocks.enumerated() {
                let outPoints = block.transforms.outputPoints
                let residual = try block.transforms.spectralPath(filter: block.filter, channels: e, members: members, work: w,
                                                                 channel: channel)
                if let bias = block.spectralBias {
                    for m in 0..<members { addChannelBias(w.y + m * e * outPoints, bias, points: outPoints) }
                }
                try block.norm?.apply(w.y, channels: e, points: outPoints, members: members)
                try block.mlp?.applyInPlace(w.y, channels: e, points: outPoints, members: members, work: w.tiles,
                                            tile: block.transforms.outputTile)
                // after this: the block output in y; the input x is free
                addInPlace(w.y, residual, count: members * e * outPoints)
                swap(&w.x, &w.y)
                observe?("block\(index)", UnsafeBufferPointer(start: w.x, count: members * e * outPoints))
            }
            var output = [Float](repeating: 0, count: members * outChannels * points)
            try output.withUnsafeMutableBufferPointer { output in
                try decoder.apply(w.x, points: points, members: members, work: w.tiles, tile: modelTile, into: output.baseAddress!)
                observe?("decoder", UnsafeBufferPointer(output))
                guard checkpoint.bigSkip else { return }
                input.withUnsafeBufferPointer { input in
                    for m in 0..<members {
                        let out = output.baseAddress! + m * outChannels * points, x = input.baseAddress! + m * inChannels * points
                        if let projection = residualProjection {
                            projection.apply(x, points: points, into: out, accumulate: true, tile: modelTile)
                        } else {
                            addInPlace(out, x, count: outChannels * points)
                        }
                    }
                }
            }
            return output
        }
    }

    /// `forward(members:count:observe:)` for one member. - input: `[inChannels][latitudes][longitudes]`
    public func forward(_ input: [Float], observe: ((String, UnsafeBufferPointer<Float>) -> Void)? = nil) throws -> [Float] {
        try forward(members: input, count: 1, observe: observe)
    }

    /// One autoregressive step of `count` members together (the network needs as many input as output
    /// channels): `[count][state][latitudes][longitudes]`, normalised. Nothing depends on the valid times.
    /// Collective over the model group.
    public func stepNormalised(members state: inout [Float], count members: Int, validTimes: [Date]) throws {
        guard inChannels == outChannels else {
            throw SFNOError(file: checkpoint.path, "the network maps \(inChannels) channels to \(outChannels); it cannot be stepped autoregressively",
                            fix: "use a network with as many input as output channels, or apply it once with forward(_:)")
        }
        guard members >= 1 && validTimes.count == members && state.count == members * inChannels * points else {
            throw SFNOError(file: checkpoint.path,
                            "\(members) states (\(validTimes.count) valid times) hold \(state.count) values, expected \(members) × \(inChannels) × \(points)")
        }
        state = try forward(members: state, count: members)
    }

    /// Per channel, so any slab works.
    public func normalise(_ state: inout [Float]) { checkpoint.normalise(&state) }
    public func denormalise(_ state: inout [Float]) { checkpoint.denormalise(&state) }
}
