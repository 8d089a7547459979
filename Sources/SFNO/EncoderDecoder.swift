import Kernels

/// The pointwise encoder or decoder: `hidden` 1×1 convolutions each followed by the activation, then one
/// final 1×1 convolution (makani `EncoderDecoder`; torch-harmonics: no hidden layer).
public struct EncoderDecoder: Sendable {
    public let hidden: [Conv1x1]
    public let output: Conv1x1
    public let activation: Activation

    public init(hidden: [Conv1x1], output: Conv1x1, activation: Activation) {
        self.hidden = hidden
        self.output = output
        self.activation = activation
    }

    public var inChannels: Int { hidden.first?.inChannels ?? output.inChannels }

    /// The widest hidden layer (0 without hidden layers).
    public var hiddenChannels: Int { hidden.map(\.outChannels).max() ?? 0 }

    /// Tile by tile of `tile` grid points, the tiles shared out over the rank's threads (one work set each;
    /// hidden layers exist for one tile at a time). A single convolution goes by tiles too: the GEMM's rounding
    /// of a point depends on where it falls in the call, and the tiles are what a model-parallel rank shares
    /// with the serial network (`Workspace.tileRows`) and what does not depend on the thread count.
    /// - x: `[inChannels][points]`
    /// - work: sets of `[hiddenChannels][tile]` (the spare array used with ≥ 2 hidden layers)
    /// - y: `[output.outChannels][points]`, overwritten
    public func apply(_ x: UnsafePointer<Float>, points: Int, work: TileWork, tile: Int, into y: UnsafeMutablePointer<Float>) {
        guard !hidden.isEmpty else {
            output.apply(x, points: points, into: y, tile: tile)
            return
        }
        shareTiles(points, tile: tile, maximumParts: work.sets) { range, part in
            let (start, n) = (range.lowerBound, range.count)
            var source = x + start
            var sourceStride = points
            var (next, spare) = work.set(part)
            for layer in hidden {
                layer.apply(source, points: n, into: next, xStride: sourceStride, yStride: n)
                activation.applySerially(next, count: layer.outChannels * n)
                source = UnsafePointer(next)
                sourceStride = n
                swap(&next, &spare)
            }
            output.apply(source, points: n, into: y + start, xStride: sourceStride, yStride: points)
        }
    }

    /// - x: `[inChannels][points]`; returns `[output.outChannels][points]`
    public func callAsFunction(_ x: [Float], points: Int) -> [Float] {
        var y = x
        for layer in hidden {
            y = layer(y, points: points)
            activation.apply(&y)
        }
        return output(y, points: points)
    }
}
