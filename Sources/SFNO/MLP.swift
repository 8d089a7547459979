import Kernels

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

    /// The MLP in place, tile by tile of `tile` grid points, the tiles shared out over the rank's threads (one
    /// work set each): the hidden layer never exists for the whole grid (memory `hidden × tile` per thread
    /// instead of `hidden × points`, and the tile stays in cache), and the results do not depend on the thread
    /// count.
    /// - x: `[channels][points]`, replaced by the MLP's output
    /// - work: sets of `[hiddenChannels][tile]`
    public func applyInPlace(_ x: UnsafeMutablePointer<Float>, points: Int, work: TileWork, tile: Int) {
        shareTiles(points, tile: tile, maximumParts: work.sets) { range, part in
            let hidden = work.set(part).hidden
            let (start, n) = (range.lowerBound, range.count)
            fc1.apply(x + start, points: n, into: hidden, xStride: points, yStride: n)
            activation.applySerially(hidden, count: hiddenChannels * n)
            // The tile's input is consumed: the output may overwrite it.
            fc2.apply(hidden, points: n, into: x + start, yStride: points)
        }
    }

    /// - x: `[channels][points]`; returns `[channels][points]`
    public func callAsFunction(_ x: [Float], points: Int) -> [Float] {
        var hidden = fc1(x, points: points)
        activation.apply(&hidden)
        return fc2(hidden, points: points)
    }
}
