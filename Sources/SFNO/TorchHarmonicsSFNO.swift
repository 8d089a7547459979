import ComplexModule
import RealModule
import Foundation
import Kernels
import ModelInterface

/// torch-harmonics 0.9.3's example `SphericalFourierNeuralOperator` (examples/models/sfno.py), at inference.
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
public final class TorchHarmonicsSFNO: ForecastModel, @unchecked Sendable {
    struct Block {
        let transforms: BlockTransforms
        let filter: SpectralConvolution
        let spectralBias: [Float]?
        let instanceNorm: InstanceNorm?
        let layerNorm: LayerNorm?
        let mlp: MLP?
    }

    /// The checkpoint's description (its weights live in the layers: `weights` is empty here).
    public let checkpoint: Checkpoint
    let encoder: EncoderDecoder
    let embedding: PositionEmbedding?
    let blocks: [Block]
    let decoder: EncoderDecoder
    /// `[out][in]` when the big skip needs a projection.
    let residualProjection: Conv1x1?
    /// Work arrays kept between steps (one arena per concurrent caller).
    let scratch = ScratchPool()

    public var stateChannels: [String] { checkpoint.outputChannelNames }
    public var nlat: Int { checkpoint.nlat }
    public var nlon: Int { checkpoint.nlon }
    public var stepHours: Int { checkpoint.dhours }
    public var inChannels: Int { checkpoint.inChannels }
    public var outChannels: Int { checkpoint.outChannels }

    public init(_ checkpoint: consuming Checkpoint) throws {
        precondition(checkpoint.architecture == .torchHarmonics, "TorchHarmonicsSFNO needs a torch-harmonics-sfno checkpoint")
        var c = checkpoint
        self.checkpoint = c.droppingWeights()
        try c.checkGEMMPrecision()
        encoder = EncoderDecoder(hidden: [], output: c.conv("encoder.0", bias: c.encoderBias), activation: c.activation)
        decoder = EncoderDecoder(hidden: [], output: c.conv("decoder.0", bias: c.decoderBias), activation: c.activation)
        if c.posEmbed == "none" {
            embedding = nil
        } else {
            embedding = PositionEmbedding(values: c.weight("pos_embed.position_embeddings"), channels: c.embedDim,
                                          nlat: c.nlat, nlon: c.nlon, latitudeOnly: c.posEmbed == "learnable lat")
        }
        residualProjection = c.bigSkip && c.inChannels != c.outChannels ? c.conv("residual_projection", bias: false) : nil
        let transforms = try BlockTransforms.make(for: c)
        blocks = transforms.enumerated().map { i, t in
            let b = "blocks.\(i)"
            return Block(
                transforms: t,
                filter: c.takeSpectralConvolution("\(b).global_conv.weight"),
                spectralBias: c.spectralBias ? c.weight("\(b).global_conv.bias") : nil,
                instanceNorm: c.normalization == .instanceNorm
                    ? InstanceNorm(weight: c.weight("\(b).norm.weight"), bias: c.weight("\(b).norm.bias"), eps: c.normEps) : nil,
                layerNorm: c.normalization == .layerNorm
                    ? LayerNorm(weight: c.weight("\(b).norm.weight"), bias: c.weight("\(b).norm.bias"), eps: c.normEps) : nil,
                mlp: c.useMLP ? MLP(fc1: c.conv("\(b).mlp.fwd.0", bias: true),
                                    fc2: c.conv("\(b).mlp.fwd.\(c.mlpFC2Index)", bias: c.mlpOutputBias),
                                    activation: c.activation) : nil)
        }
    }

    /// The network applied once.
    /// - x: `[inChannels][nlat][nlon]`; returns `[outChannels][nlat][nlon]`
    public func forward(_ input: [Float]) -> [Float] { forward(members: input, count: 1) }

    /// The network applied once to `count` members together: `[count][inChannels][nlat][nlon]` →
    /// `[count][outChannels][nlat][nlon]`. Every layer works on all of them (the transforms in one batch where
    /// `BlockTransforms.batchesMembers`; the pointwise layers member after member, tile by tile); each member's
    /// numbers are `forward(_:)`'s bit for bit, whatever `count` and its neighbours in the batch.
    public func forward(members input: [Float], count members: Int) -> [Float] {
        let points = nlat * nlon
        precondition(members >= 1 && input.count == members * inChannels * points,
                     "TorchHarmonicsSFNO.forward: input holds \(input.count) values, expected \(members) × \(inChannels) × \(nlat) × \(nlon)")
        let e = checkpoint.embedDim
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
            for block in blocks {
                let outPoints = block.transforms.outputPoints
                let residual = block.transforms.spectralPath(filter: block.filter, channels: e, members: members, work: w)
                for m in 0..<members {
                    let y = w.y + m * e * outPoints
                    if let bias = block.spectralBias {
                        addChannelBias(y, bias, points: outPoints)
                    }
                    block.instanceNorm?.apply(y, points: outPoints)
                    block.layerNorm?.apply(y, channels: e)
                    block.mlp?.applyInPlace(y, points: outPoints, work: w.tiles, tile: block.transforms.outputTile)
                    // after this: the block output in y; the input x is free
                    addInPlace(y, residual + m * e * outPoints, count: e * outPoints)
                }
                swap(&w.x, &w.y)
            }
            var output = [Float](repeating: 0, count: members * outChannels * points)
            output.withUnsafeMutableBufferPointer { output in input.withUnsafeBufferPointer { input in
                for m in 0..<members {
                    let out = output.baseAddress! + m * outChannels * points, x = input.baseAddress! + m * inChannels * points
                    decoder.apply(w.x + m * e * points, points: points, work: w.tiles, tile: modelTile, into: out)
                    guard checkpoint.bigSkip else { continue }
                    if let projection = residualProjection {
                        projection.apply(x, points: points, into: out, accumulate: true, tile: modelTile)
                    } else {
                        addInPlace(out, x, count: outChannels * points)
                    }
                }
            } }
            return output
        }
    }

    /// One autoregressive step (the state needs as many input as output channels).
    public func step(_ state: inout [Float], validTime: Date) throws {
        checkpoint.normalise(&state)
        try stepNormalised(&state, validTime: validTime)
        checkpoint.denormalise(&state)
    }

    public func stepNormalised(_ state: inout [Float], validTime: Date) throws {
        guard inChannels == outChannels else {
            throw SFNOError(file: checkpoint.path, "the network maps \(inChannels) channels to \(outChannels); it cannot be stepped autoregressively",
                            fix: "use a network with as many input as output channels, or apply it once with forward(_:)")
        }
        guard state.count == inChannels * nlat * nlon else {
            throw SFNOError(file: checkpoint.path, "state holds \(state.count) values, expected \(inChannels) × \(nlat) × \(nlon)")
        }
        state = forward(state)
    }

    public func normalise(_ state: inout [Float]) { checkpoint.normalise(&state) }
    public func denormalise(_ state: inout [Float]) { checkpoint.denormalise(&state) }
}
