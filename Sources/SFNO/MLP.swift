/// The channel MLP of an SFNO block: `fc2(act(fc1(x)))`, both 1×1 convolutions.
public struct MLP: Sendable {
    public let fc1: Conv1x1
    public let fc2: Conv1x1
    public let activation: Activation

    public init(fc1: Conv1x1, fc2: Conv1x1, activation: Activation) {
        precondition(fc1.outChannels == fc2.inChannels && fc1.inChannels == fc2.outChannels,
                     "MLP: fc1 \(fc1.inChannels)→\(fc1.outChannels) and fc2 \(fc2.inChannels)→\(fc2.outChannels) do not chain")
        self.fc1 = fc1
        self.fc2 = fc2
        self.activation = activation
    }

    public var hiddenChannels: Int { fc1.outChannels }

    /// - x: `[channels][points]`
    /// - hidden: work array of `[hiddenChannels][points]`
    /// - y: `[channels][points]`, overwritten (must not overlap `x`)
    public func apply(_ x: UnsafePointer<Float>, points: Int, hidden: UnsafeMutablePointer<Float>,
                      into y: UnsafeMutablePointer<Float>) {
        fc1.apply(x, points: points, into: hidden)
        activation.apply(UnsafeMutableBufferPointer(start: hidden, count: hiddenChannels * points))
        fc2.apply(hidden, points: points, into: y)
    }

    /// - x: `[channels][points]`; returns `[channels][points]`
    public func callAsFunction(_ x: [Float], points: Int) -> [Float] {
        var hidden = fc1(x, points: points)
        activation.apply(&hidden)
        return fc2(hidden, points: points)
    }
}
