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

    /// Tile by tile of `tile` grid points (hidden layers exist for one tile at a time). A single convolution
    /// goes by tiles too: the GEMM's rounding of a point depends on where it falls in the call, and the tiles
    /// are what a model-parallel rank shares with the serial network (`Workspace.tileRows`).
    /// - x: `[inChannels][points]`
    /// - work: two work arrays of `[hiddenChannels][tile]` each (the second used with ≥ 2 hidden layers)
    /// - y: `[output.outChannels][points]`, overwritten
    public func apply(_ x: UnsafePointer<Float>, points: Int,
                      work: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>), tile: Int,
                      into y: UnsafeMutablePointer<Float>) {
        guard !hidden.isEmpty else {
            output.apply(x, points: points, into: y, tile: tile)
            return
        }
        var start = 0
        while start < points {
            let n = min(tile, points - start)
            var source = x + start
            var sourceStride = points
            var (next, spare) = work
            for layer in hidden {
                layer.apply(source, points: n, into: next, xStride: sourceStride, yStride: n)
                activation.apply(UnsafeMutableBufferPointer(start: next, count: layer.outChannels * n))
                source = UnsafePointer(next)
                sourceStride = n
                swap(&next, &spare)
            }
            output.apply(source, points: n, into: y + start, xStride: sourceStride, yStride: points)
            start += n
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
