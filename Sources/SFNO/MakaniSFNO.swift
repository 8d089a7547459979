import Foundation
import Kernels
import MPI
import ModelInterface

/// makani v0.1.0's `SphericalFourierNeuralOperatorNet` with its preprocessing and earth2mip's time loop:
/// the HENS network (tools/fixtures/SFNO-NOTES.md §1), serial or split over a model group.
///
/// ```
/// xn = (x − mean) / std;  input = [xn, cos zenith(t), grid features, orography, land-sea one-hot]
/// residual = input;  x = encoder(input) (+ pos_embed)
/// block: xs = SHT(x); res = ISHT(xs) if the grids differ else x
///        y = ISHT(W_l · xs); y = act(norm0(y)); y = fc2(act(fc1(y))); y = norm1(y); x = y + outer_skip(res)
/// xn' = decoder(x) (+ residual_transform(residual));  x' = std · xn' + mean
/// ```
///
/// Each layer runs serial or model-parallel by the size of its communicator, as makani chooses its layers
/// (`DistributedMLP if comm.get_size("matmul") > 1 else MLP`): without a grid, or on a model group of one
/// rank, every layer is the serial one. Split over a model group (layout h × w × channel, makani's spatial
/// and channel model parallelism), every rank holds its slab of every activation and only its shard of the
/// spectral weights, read as HDF5 hyperslabs (`weightBytes`). Distribution scheme (rank (hIndex, wIndex);
/// docs/sfno.md, "Model parallelism"):
/// 1. fields `[channels][lat ∈ splitRange(nlat, h)][lon ∈ splitRange(nlon, w)]` of the grid they live on;
/// 2. preprocessing on the slab: z-score per channel, cos zenith computed for the slab's points, grid
///    features / orography / land-sea mask sliced once at load;
/// 3. encoder, decoder, MLP, outer skip, residual transform: pointwise, local, weights replicated;
///    position embedding (`direct`): this rank's slab, read as a hyperslab;
/// 4. SHT / inverse SHT (with the scale-factor regridding of the first and last blocks): `DistributedRealSHT`;
/// 5. spectral filter (`dhconv`, `diagonal`): coefficients `[E][l ∈ splitRange(lmax, h)][m ∈ splitRange(mmax, w)]`,
///    weights of this rank's degrees (and, diagonal, orders) only: no communication;
/// 6. instance norms: per-channel (count, mean, M2) allgathered over the spatial group and merged;
/// 7. channel group (layout channel > 1): activations replicated over it; the spectral filter's output
///    channels split over it (one allgather of the filtered coefficients per block), the MLP's hidden layer
///    split (`DistributedMLP`, one allreduce per block), encoder and decoder with one hidden layer split the
///    same way (one allreduce each); outer skips and the residual transform replicated.
///
/// Members: `forward(members:count:)` takes B members `[B][channels][lat][lon]` and every layer works on all of
/// them; each member's numbers are its single-member step's bit for bit (MemberBatchTests).
public final class MakaniSFNO: SFNONetwork, @unchecked Sendable {
    struct Block {
        let transforms: DistributedBlockTransforms
        let filter: SpectralConvolution
        let norm0: DistributedNormalisation?
        let norm1: DistributedNormalisation?
        let mlp: DistributedMLP?
        let outerSkip: Conv1x1
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
    let residualTransform: Conv1x1?
    /// The channel group (nil: serial).
    let channel: Communicator?
    /// This rank's slab of the grid features, orography and land-sea mask: `[channels][latitudes][longitudes]`.
    public let staticChannels: [Float]
    /// Work arrays kept between steps (one arena per concurrent caller).
    let scratch = ScratchPool()

    public var stateChannels: [String] { checkpoint.stateChannelNames }
    /// The whole model grid (a split network's states hold only this rank's slab, `decomposition`).
    public var nlat: Int { checkpoint.nlat }
    public var nlon: Int { checkpoint.nlon }
    public var stepHours: Int { checkpoint.dhours }

    /// Reads the description of `path` and this rank's shard of its weights (all of them without a grid).
    /// Not collective.
    /// - grid: the model group to split over; nil: serial
    /// - precision: of the 1×1 convolutions (`Checkpoint.gemmPrecision`)
    public init(checkpoint path: String, grid: ProcessGrid? = nil, precision: GEMMPrecision = .fp32) throws {
        var c = try Checkpoint(path: path, weights: false)
        c.gemmPrecision = precision
        try c.requireArchitecture(.makani, network: "MakaniSFNO")
        try c.checkGEMMPrecision()
        guard c.zscore else {
            throw SFNOError(file: c.path, object: "@normalization", "makani networks need 'zscore'", fix: "reconvert the package")
        }
        checkpoint = c
        channel = grid?.channel
        let d = grid.map { ModelDecomposition(grid: $0, nlat: c.nlat, nlon: c.nlon) }
        decomposition = d
        let (latitudes, longitudes) = (d?.latitudes ?? 0..<c.nlat, d?.longitudes ?? 0..<c.nlon)
        let reader = try CheckpointShardReader(c)
        encoder = try DistributedEncoderDecoder(reader: reader, makani: "encoder", hiddenLayers: c.encoderHiddenLayers,
                                                activation: c.activation, channel: grid?.channel)
        decoder = try DistributedEncoderDecoder(reader: reader, makani: "decoder", hiddenLayers: c.decoderHiddenLayers,
                                                activation: c.activation, channel: grid?.channel)
        let filterOutputs = grid.flatMap { $0.channel.size > 1 ? splitRange(c.embedDim, parts: $0.channel.size, index: $0.channel.rank) : nil }
        embedding = c.posEmbed == "direct"
            ? PositionEmbedding(values: try reader.read("model.pos_embed", [nil, nil, latitudes, longitudes]),
                                channels: c.embedDim, nlat: latitudes.count, nlon: longitudes.count, latitudeOnly: false)
            : nil
        residualTransform = c.bigSkip ? try reader.conv("model.residual_transform", bias: false) : nil
        let statics = try MakaniPreprocessing.staticChannels(c)
        staticChannels = d.map { $0.slab(of: statics, channels: statics.count / (c.nlat * c.nlon)) } ?? statics
        let transforms = try DistributedBlockTransforms.make(for: c, grid: grid)
        func norm(_ key: String) throws -> DistributedNormalisation? {
            guard c.normalization == .instanceNorm else { return nil }
            return DistributedNormalisation(kind: .instance(InstanceNorm(weight: try reader.read("\(key).weight"),
                                                                         bias: try reader.read("\(key).bias"), eps: c.normEps)),
                                            spatial: grid?.spatial)
        }
        blocks = try transforms.enumerated().map { i, t in
            let b = "model.blocks.\(i)"
            return Block(transforms: t,
                         filter: try reader.spectralConvolution("\(b).filter.filter.weight", degrees: t.degrees, orders: t.orders,
                                                                outputs: filterOutputs),
                         norm0: try norm("\(b).norm0"), norm1: try norm("\(b).norm1"),
                         mlp: c.useMLP ? try DistributedMLP(reader: reader, fc1: "\(b).mlp.fwd.0", fc2: "\(b).mlp.fwd.3", fc2Bias: true,
                                                            activation: c.activation, channel: grid?.channel) : nil,
                         outerSkip: try reader.conv("\(b).outer_skip", bias: false))
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

    // MARK: - Inputs

    /// The network input on this rank's slab for a normalised state valid at `validTime`.
    /// - normalised: `[state][latitudes][longitudes]`; returns `[inChannels][latitudes][longitudes]`
    public func networkInput(normalised: [Float], validTime: Date) -> [Float] {
        var input = normalised
        input.reserveCapacity(checkpoint.inChannels * points)
        if checkpoint.addZenith {
            input += CosZenith.field(at: validTime, nlat: nlat, nlon: nlon, latitudes: decomposition?.latitudes ?? 0..<nlat,
                                     longitudes: decomposition?.longitudes ?? 0..<nlon)
        }
        input += staticChannels
        precondition(input.count == checkpoint.inChannels * points, "MakaniSFNO: assembled input has the wrong size")
        return input
    }

    /// `(x − mean) / std` per channel, in place (any slab). - state: `[state][latitudes][longitudes]`
    public func normalise(_ state: inout [Float]) { checkpoint.normalise(&state) }

    /// `std · x + mean` per channel, in place (any slab). - state: `[state][latitudes][longitudes]`
    public func denormalise(_ state: inout [Float]) { checkpoint.denormalise(&state) }

    // MARK: - Forward

    /// The network applied once to `count` members together: `[count][inChannels][latitudes][longitudes]` →
    /// `[count][outChannels][latitudes][longitudes]` (normalised; this rank's slab). Every layer works on all of
    /// them (the transforms in one batch where `BlockTransforms.batchesMembers`, one allgather per norm; the
    /// pointwise layers member after member, tile by tile); each member's numbers are its single-member
    /// pass's bit for bit, whatever `count` and its neighbours in the batch. Collective over the model group.
    /// - observe: called with the activations after the encoder (`"encoder"`), after each block
    ///   (`"block0"`, …) and after the decoder before the big skip (`"decoder"`), every member's
    ///   (`[count][channels][slab points]`), for checks and debugging
    public func forward(members input: [Float], count members: Int,
                        observe: ((String, UnsafeBufferPointer<Float>) -> Void)? = nil) throws -> [Float] {
        let points = points
        let inChannels = checkpoint.inChannels, outChannels = checkpoint.outChannels
        precondition(members >= 1 && input.count == members * inChannels * points,
                     "MakaniSFNO.forward: input holds \(input.count) values, expected \(members) × \(inChannels) × \(points)")
        let e = checkpoint.embedDim
        let activation = checkpoint.activation
        return try scratch.withArena { arena in
            var w = Workspace(arena: arena, checkpoint: checkpoint, slab: points, transforms: blocks.map(\.transforms), members: members)
            let modelTile = Workspace.tile(nlat: nlat, nlon: nlon, longitudes: decomposition?.longitudes.count)
            try w.encode(input, with: encoder, embedding: embedding, embedDim: e, points: points, members: members, tile: modelTile)
            observe?("encoder", UnsafeBufferPointer(start: w.x, count: members * e * points))
            for (index, block) in blocks.enumerated() {
                let outPoints = block.transforms.outputPoints
                let tile = block.transforms.outputTile
                let residual = try block.transforms.spectralPath(filter: block.filter, channels: e, members: members, work: w,
                                                                 channel: channel)
                try block.norm0?.apply(w.y, channels: e, points: outPoints, members: members)
                activation.apply(UnsafeMutableBufferPointer(start: w.y, count: members * e * outPoints))
                try block.mlp?.applyInPlace(w.y, channels: e, points: outPoints, members: members, work: w.tiles, tile: tile)
                try block.norm1?.apply(w.y, channels: e, points: outPoints, members: members)
                for m in 0..<members {
                    block.outerSkip.apply(residual + m * e * outPoints, points: outPoints, into: w.y + m * e * outPoints,
                                          accumulate: true, tile: tile)
                }
                // after this: the block output in x
                swap(&w.x, &w.y)
                observe?("block\(index)", UnsafeBufferPointer(start: w.x, count: members * e * outPoints))
            }
            var output = [Float](repeating: 0, count: members * outChannels * points)
            try output.withUnsafeMutableBufferPointer { output in
                try decoder.apply(w.x, points: points, members: members, work: w.tiles, tile: modelTile, into: output.baseAddress!)
                observe?("decoder", UnsafeBufferPointer(output))
                guard let residualTransform else { return }
                input.withUnsafeBufferPointer { input in
                    for m in 0..<members {
                        residualTransform.apply(input.baseAddress! + m * inChannels * points, points: points,
                                                into: output.baseAddress! + m * outChannels * points, accumulate: true, tile: modelTile)
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

    /// One step of `count` members together on this rank's slab of their normalised states, as earth2mip
    /// carries them between steps: `[count][state][latitudes][longitudes]`, member k valid at `validTimes[k]`,
    /// each one step later on return. Each member's numbers are its own single step's bit for bit.
    /// Collective over the model group.
    public func stepNormalised(members normalised: inout [Float], count members: Int, validTimes: [Date]) throws {
        let size = checkpoint.stateChannelCount * points
        guard members >= 1 && validTimes.count == members && normalised.count == members * size else {
            throw SFNOError(file: checkpoint.path,
                            "\(members) states (\(validTimes.count) valid times) hold \(normalised.count) values, expected \(members) × \(checkpoint.stateChannelCount) × \(points)")
        }
        var input = [Float]()
        input.reserveCapacity(members * checkpoint.inChannels * points)
        for m in 0..<members {
            input += networkInput(normalised: Array(normalised[(m * size)..<((m + 1) * size)]), validTime: validTimes[m])
        }
        normalised = try forward(members: input, count: members)
    }
}
