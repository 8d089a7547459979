import MPI

/// `MLP` with its hidden layer split over the channel group, as makani's `DistributedMLP`:
/// 1. rank c holds the rows `splitRange(hidden, channel, c)` of fc1 (with their bias) and the same columns
///    of fc2; fc2's bias only on channel rank 0;
/// 2. each rank computes its hidden channels and their part of fc2's output, tile by tile (no communication);
/// 3. one allreduce (sum) over the channel group of the `[E][points]` output completes fc2.
/// The input and output are replicated over the channel group. On a channel group of one rank it is the
/// serial `MLP`.
struct DistributedMLP: Sendable {
    let local: MLP
    let channel: Communicator

    init(reader: CheckpointShardReader, fc1: String, fc2: String, fc2Bias: Bool, activation: Activation,
         channel: Communicator) throws {
        self.channel = channel
        let hidden = reader.shape("\(fc1).weight")[0]
        let mine = channel.size > 1 ? splitRange(hidden, parts: channel.size, index: channel.rank) : nil
        local = MLP(fc1: try reader.conv(fc1, bias: true, outputs: mine),
                    fc2: try reader.conv(fc2, bias: fc2Bias && channel.rank == 0, inputs: mine),
                    activation: activation)
    }

    /// - x: `[channels][points]`, replaced by the MLP's output (the same on every rank of the channel group)
    /// - work: sets of `[hidden][tile]`
    func applyInPlace(_ x: UnsafeMutablePointer<Float>, channels: Int, points: Int, work: TileWork, tile: Int) throws {
        local.applyInPlace(x, points: points, work: work, tile: tile)
        // After this: the partial sums of every rank's hidden channels added up.
        if channel.size > 1 { try channel.allreduce(UnsafeMutableBufferPointer(start: x, count: channels * points), .sum) }
    }
}

/// makani's encoder or decoder with one hidden layer, split over the channel group like `DistributedMLP`
/// (hidden layer by rows, output layer by columns, one allreduce of the `[out][points]` result); other
/// shapes (torch-harmonics' single convolution, several hidden layers) and one-rank channel groups keep
/// every weight on every rank and need no communication.
struct DistributedEncoderDecoder: Sendable {
    let local: EncoderDecoder
    let channel: Communicator
    /// Whether the layer is split (and ends with an allreduce).
    let split: Bool

    /// makani's `model.<name>.fwd.*`: `hiddenLayers` convolutions with bias, then one without.
    init(reader: CheckpointShardReader, makani name: String, hiddenLayers: Int, activation: Activation,
         channel: Communicator) throws {
        self.channel = channel
        split = hiddenLayers == 1 && channel.size > 1
        var mine: Range<Int>?
        if split {
            let width = reader.shape("model.\(name).fwd.0.weight")[0]
            mine = splitRange(width, parts: channel.size, index: channel.rank)
        }
        let hidden = try (0..<hiddenLayers).map { try reader.conv("model.\(name).fwd.\(2 * $0)", bias: true, outputs: mine) }
        local = EncoderDecoder(hidden: hidden, output: try reader.conv("model.\(name).fwd.\(2 * hiddenLayers)", bias: false, inputs: mine),
                               activation: activation)
    }

    /// torch-harmonics' single convolution `<prefix>` (replicated).
    init(reader: CheckpointShardReader, conv prefix: String, bias: Bool, activation: Activation, channel: Communicator) throws {
        self.channel = channel
        split = false
        local = EncoderDecoder(hidden: [], output: try reader.conv(prefix, bias: bias), activation: activation)
    }

    /// - x: `[in][points]`; y: `[out][points]`, overwritten (the same on every rank of the channel group)
    func apply(_ x: UnsafePointer<Float>, points: Int, work: TileWork, tile: Int, into y: UnsafeMutablePointer<Float>) throws {
        local.apply(x, points: points, work: work, tile: tile, into: y)
        if split { try channel.allreduce(UnsafeMutableBufferPointer(start: y, count: local.output.outChannels * points), .sum) }
    }
}
