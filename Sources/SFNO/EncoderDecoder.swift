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
