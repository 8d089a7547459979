import ComplexModule
import RealModule
import Foundation
import Kernels

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
        let points = nlat * nlon
        precondition(input.count == checkpoint.inChannels * points, "MakaniSFNO.forward: input has the wrong size")
        let e = checkpoint.embedDim
        let activation = checkpoint.activation
        return scratch.withArena { arena in
            var w = Workspace(arena: arena, checkpoint: checkpoint, points: Workspace.points(checkpoint))
            let modelTile = Workspace.tile(nlat: nlat, nlon: nlon)
            input.withUnsafeBufferPointer { encoder.apply($0.baseAddress!, points: points, work: w.tiles, tile: modelTile, into: w.x) }
            if let embedding {
                embedding.add(to: UnsafeMutableBufferPointer(start: w.x, count: e * points))
            }
            observe?("encoder", UnsafeBufferPointer(start: w.x, count: e * points))
            for (index, block) in blocks.enumerated() {
                let outPoints = block.transforms.outputPoints
                let residual = block.transforms.spectralPath(filter: block.filter, channels: e, work: w)
                block.norm0?.apply(w.y, points: outPoints)
                activation.apply(UnsafeMutableBufferPointer(start: w.y, count: e * outPoints))
                block.mlp?.applyInPlace(w.y, points: outPoints, work: w.tiles, tile: block.transforms.outputTile)
                block.norm1?.apply(w.y, points: outPoints)
                block.outerSkip.apply(residual, points: outPoints, into: w.y, accumulate: true, tile: block.transforms.outputTile)
                // after this: the block output in x
                swap(&w.x, &w.y)
                observe?("block\(index)", UnsafeBufferPointer(start: w.x, count: e * outPoints))
            }
            var output = [Float](repeating: 0, count: checkpoint.outChannels * points)
            output.withUnsafeMutableBufferPointer { out in
                decoder.apply(w.x, points: points, work: w.tiles, tile: modelTile, into: out.baseAddress!)
                observe?("decoder", UnsafeBufferPointer(out))
                if let residualTransform {
                    input.withUnsafeBufferPointer {
                        residualTransform.apply($0.baseAddress!, points: points, into: out.baseAddress!, accumulate: true, tile: modelTile)
                    }
                }
            }
            return output
        }
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
