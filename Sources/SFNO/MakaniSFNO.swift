import ComplexModule
import RealModule
import Foundation
import Kernels
import ModelInterface

/// makani v0.1.0's `SphericalFourierNeuralOperatorNet` with its preprocessing and earth2mip's time loop:
/// the HENS network (tools/fixtures/SFNO-NOTES.md §1).
///
/// ```
/// xn = (x − mean) / std;  input = [xn, cos zenith(t), grid features, orography, land-sea one-hot]
/// residual = input;  x = encoder(input) (+ pos_embed)
/// block: xs = SHT(x); res = ISHT(xs) if the grids differ else x
///        y = ISHT(W_l · xs); y = act(norm0(y)); y = fc2(act(fc1(y))); y = norm1(y); x = y + outer_skip(res)
/// xn' = decoder(x) (+ residual_transform(residual));  x' = std · xn' + mean
/// ```
public final class MakaniSFNO: ForecastModel, @unchecked Sendable {
    struct Block {
        let transforms: BlockTransforms
        let filter: SpectralConvolution
        let norm0: InstanceNorm?
        let norm1: InstanceNorm?
        let mlp: MLP?
        let outerSkip: Conv1x1
    }

    /// The checkpoint's description (its weights live in the layers: `weights` is empty here).
    public let checkpoint: Checkpoint
    let encoder: EncoderDecoder
    let embedding: PositionEmbedding?
    let blocks: [Block]
    let decoder: EncoderDecoder
    let residualTransform: Conv1x1?
    /// Grid features, orography, land-sea mask: `[channels][nlat][nlon]`.
    public let staticChannels: [Float]
    /// Work arrays kept between steps (one arena per concurrent caller).
    let scratch = ScratchPool()

    public var stateChannels: [String] { checkpoint.stateChannelNames }
    public var nlat: Int { checkpoint.nlat }
    public var nlon: Int { checkpoint.nlon }
    public var stepHours: Int { checkpoint.dhours }

    public init(_ checkpoint: consuming Checkpoint) throws {
        precondition(checkpoint.architecture == .makani, "MakaniSFNO needs a makani-sfno checkpoint")
        var c = checkpoint
        self.checkpoint = c.droppingWeights()
        try c.checkGEMMPrecision()
        guard c.zscore else {
            throw SFNOError(file: c.path, object: "@normalization", "makani networks need 'zscore'", fix: "reconvert the package")
        }
        encoder = c.makaniEncoderDecoder("encoder", hiddenLayers: c.encoderHiddenLayers)
        decoder = c.makaniEncoderDecoder("decoder", hiddenLayers: c.decoderHiddenLayers)
        embedding = c.posEmbed == "direct"
            ? PositionEmbedding(values: c.weight("model.pos_embed"), channels: c.embedDim, nlat: c.nlat, nlon: c.nlon,
                                latitudeOnly: false) : nil
        residualTransform = c.bigSkip ? c.conv("model.residual_transform", bias: false) : nil
        staticChannels = try MakaniPreprocessing.staticChannels(c)
        let transforms = try BlockTransforms.make(for: c)
        func norm(_ key: String) -> InstanceNorm? {
            c.normalization == .instanceNorm
                ? InstanceNorm(weight: c.weight("\(key).weight"), bias: c.weight("\(key).bias"), eps: c.normEps) : nil
        }
        blocks = transforms.enumerated().map { i, t in
            let b = "model.blocks.\(i)"
            return Block(transforms: t, filter: c.takeSpectralConvolution("\(b).filter.filter.weight"),
                         norm0: norm("\(b).norm0"), norm1: norm("\(b).norm1"),
                         mlp: c.useMLP ? MLP(fc1: c.conv("\(b).mlp.fwd.0", bias: true), fc2: c.conv("\(b).mlp.fwd.3", bias: true),
                                             activation: c.activation) : nil,
                         outerSkip: c.conv("\(b).outer_skip", bias: false))
        }
    }

    // MARK: - Inputs

    /// The complete network input for a normalised state valid at `validTime`.
    /// - normalised: `[state][nlat][nlon]`; returns `[inChannels][nlat][nlon]`
    public func networkInput(normalised: [Float], validTime: Date) -> [Float] {
        var input = normalised
        input.reserveCapacity(checkpoint.inChannels * nlat * nlon)
        if checkpoint.addZenith { input += CosZenith.field(at: validTime, nlat: nlat, nlon: nlon) }
        input += staticChannels
        precondition(input.count == checkpoint.inChannels * nlat * nlon, "MakaniSFNO: assembled input has the wrong size")
        return input
    }

    /// `(x − mean) / std` per channel, in place. - state: `[state][nlat][nlon]`
    public func normalise(_ state: inout [Float]) { checkpoint.normalise(&state) }

    /// `std · x + mean` per channel, in place. - state: `[state][nlat][nlon]`
    public func denormalise(_ state: inout [Float]) { checkpoint.denormalise(&state) }

    // MARK: - Forward

    /// The network applied once. - input: `[inChannels][nlat][nlon]`; returns `[outChannels][nlat][nlon]` (normalised)
    /// - observe: called with the activations after the encoder (`"encoder"`), after each block
    ///   (`"block0"`, …) and after the decoder before the big skip (`"decoder"`), for checks and debugging
    public func forward(_ input: [Float], observe: ((String, UnsafeBufferPointer<Float>) -> Void)? = nil) -> [Float] {
        forward(members: input, count: 1, observe: observe)
    }

    /// The network applied once to `count` members together: `[count][inChannels][nlat][nlon]` →
    /// `[count][outChannels][nlat][nlon]`. Every layer works on all of them (the transforms in one batch where
    /// `BlockTransforms.batchesMembers`; the pointwise layers member after member, tile by tile); each member's
    /// numbers are `forward(_:)`'s bit for bit, whatever `count` and its neighbours in the batch.
    /// - observe: as `forward(_:observe:)`, with every member's activations (`[count][channels][points]`)
    public func forward(members input: [Float], count members: Int,
                        observe: ((String, UnsafeBufferPointer<Float>) -> Void)? = nil) -> [Float] {
        let points = nlat * nlon
        let inChannels = checkpoint.inChannels, outChannels = checkpoint.outChannels
        precondition(members >= 1 && input.count == members * inChannels * points, "MakaniSFNO.forward: input has the wrong size")
        let e = checkpoint.embedDim
        let activation = checkpoint.activation
        return scratch.withArena { arena in
            var w = Workspace(arena: arena, checkpoint: checkpoint, points: Workspace.points(checkpoint), members: members)
            let modelTile = Workspace.tile(nlat: nlat, nlon: nlon)
            input.withUnsafeBufferPointer { input in
                for m in 0..<members {
                    encoder.apply(input.baseAddress! + m * inChannels * points, points: points, work: w.tiles, tile: modelTile,
                                  into: w.x + m * e * points)
                    embedding?.add(to: UnsafeMutableBufferPointer(start: w.x + m * e * points, count: e * points))
                }
            }
            observe?("encoder", UnsafeBufferPointer(start: w.x, count: members * e * points))
            for (index, block) in blocks.enumerated() {
                let outPoints = block.transforms.outputPoints
                let residual = block.transforms.spectralPath(filter: block.filter, channels: e, members: members, work: w)
                for m in 0..<members {
                    let y = w.y + m * e * outPoints
                    block.norm0?.apply(y, points: outPoints)
                    activation.apply(UnsafeMutableBufferPointer(start: y, count: e * outPoints))
                    block.mlp?.applyInPlace(y, points: outPoints, work: w.tiles, tile: block.transforms.outputTile)
                    block.norm1?.apply(y, points: outPoints)
                    block.outerSkip.apply(residual + m * e * outPoints, points: outPoints, into: y, accumulate: true,
                                          tile: block.transforms.outputTile)
                }
                // after this: the block output in x
                swap(&w.x, &w.y)
                observe?("block\(index)", UnsafeBufferPointer(start: w.x, count: members * e * outPoints))
            }
            var output = [Float](repeating: 0, count: members * outChannels * points)
            output.withUnsafeMutableBufferPointer { output in
                for m in 0..<members {
                    decoder.apply(w.x + m * e * points, points: points, work: w.tiles, tile: modelTile,
                                  into: output.baseAddress! + m * outChannels * points)
                }
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

    /// `stepNormalised` for `count` members together, all valid at `validTime`: `[count][state][nlat][nlon]`,
    /// one step later on return. Each member's numbers are its own `stepNormalised`'s bit for bit.
    public func stepNormalised(members normalised: inout [Float], count members: Int, validTime: Date) throws {
        let size = checkpoint.stateChannelCount * nlat * nlon
        guard members >= 1 && normalised.count == members * size else {
            throw SFNOError(file: checkpoint.path, "\(members) states hold \(normalised.count) values, expected \(members) × \(size)")
        }
        var input = [Float]()
        input.reserveCapacity(members * checkpoint.inChannels * nlat * nlon)
        for m in 0..<members { input += networkInput(normalised: Array(normalised[(m * size)..<((m + 1) * size)]), validTime: validTime) }
        normalised = forward(members: input, count: members)
    }

    /// One step on the normalised state, as earth2mip carries it between steps.
    /// - normalised: `[state][nlat][nlon]`, valid at `validTime` on input, one step later on output
    public func stepNormalised(_ normalised: inout [Float], validTime: Date) throws {
        normalised = forward(networkInput(normalised: normalised, validTime: validTime))
    }

    public func step(_ state: inout [Float], validTime: Date) throws {
        guard state.count == checkpoint.stateChannelCount * nlat * nlon else {
            throw SFNOError(file: checkpoint.path,
                            "state holds \(state.count) values, expected \(checkpoint.stateChannelCount) × \(nlat) × \(nlon)")
        }
        normalise(&state)
        try stepNormalised(&state, validTime: validTime)
        denormalise(&state)
    }
}
