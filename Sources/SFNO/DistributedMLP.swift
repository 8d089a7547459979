import MPI

/// `MLP` with its hidden layer split over the channel group, as makani's `DistributedMLP`:
/// 1. rank c holds the rows `splitRange(hidden, channel, c)` of fc1 (with their bias) and the same columns
///    of fc2; fc2's bias only on channel rank 0;
/// 2. each rank computes its hidden channels and their part of fc2's output, tile by tile (no communication);
/// 3. one allreduce (sum) over the channel group of the `[E][points]` output completes fc2.
/// The input and output are replicated over the channel group. Without a channel group (a serial network)
/// or on one of one rank it is the serial `MLP`.
struct DistributedMLP: Sendable {
    let local: MLP
    /// The channel group when it has more than one rank.
    let channel: Communicator?

    init(reader: CheckpointShardReader, fc1: String, fc2: String, fc2Bias: Bool, activation: Activation,
         channel: Communicator?) throws {
        self.channel = (channel?.size ?? 1) > 1 ? channel : nil
        let hidden = reader.shape("\(fc1).weight")[0]
        let mine = self.channel.map { splitRange(hidden, parts: $0.size, index: $0.rank) }
        local = MLP(fc1: try reader.conv(fc1, bias: true, outputs: mine),
                    fc2: try reader.conv(fc2, bias: fc2Bias && (channel?.rank ?? 0) == 0, inputs: mine),
                    activation: activation)
    }

    /// Member after member (one allreduce each, so that a member's sums do not depend on its batch).
    /// - x: `[members][channels][points]`, replaced by the MLP's output (the same on every rank of the channel group)
    /// - work: sets of `[hidden][tile]`
    func applyInPlace(_ x: UnsafeMutablePointer<Float>, channels: Int, points: Int, members: Int, work: TileWork, tile: Int) throws {
        for m in 0..<members {
            let member = x + m * channels * points
            local.applyInPlace(member, points: points, work: work, tile: tile)
            // After this: the partial sums of every rank's hidden channels added up.
            try channel?.allreduce(UnsafeMutableBufferPointer(start: member, count: channels * points), .sum)
        }
    }
}

/// makani's encoder or decoder with one hidden layer, split over the channel group like `DistributedMLP`
/// (hidden layer by rows, output layer by columns, one allreduce of the `[out][points]` result); other
/// shapes (torch-harmonics' single convolution, several hidden layers), serial networks and one-rank channel
/// groups keep every weight on every rank and need no communication.
struct DistributedEncoderDecoder: Sendable {
    let local: EncoderDecoder
    /// The channel group when the layer is split over it (and ends with an allreduce).
    let channel: Communicator?

    /// makani's `model.<name>.fwd.*`: `hiddenLayers` convolutions with bias, then one without.
    init(reader: CheckpointShardReader, makani name: String, hiddenLayers: Int, activation: Activation,
         channel: Communicator?) throws {
        self.channel = hiddenLayers == 1 && (channel?.size ?? 1) > 1 ? channel : nil
        var mine: Range<Int>?
        if let split = self.channel {
            let width = reader.shape("model.\(name).fwd.0.weight")[0]
            mine = splitRange(width, parts: split.size, index: split.rank)
        }
        let hidden = try (0..<hiddenLayers).map { try reader.conv("model.\(name).fwd.\(2 * $0)", bias: true, outputs: mine) }
        local = EncoderDecoder(hidden: hidden, output: try reader.conv("model.\(name).fwd.\(2 * hiddenLayers)", bias: false, inputs: mine),
                               activation: activation)
    }

    /// torch-harmonics' single convolution `<prefix>` (replicated).
    init(reader: CheckpointShardReader, conv prefix: String, bias: Bool, activation: Activation) throws {
        channel = nil
        local = EncoderDecoder(hidden: [], output: try reader.conv(prefix, bias: bias), activation: activation)
    }

    /// Member after member (one allreduce each where split).
    /// - x: `[members][in][points]`; y: `[members][out][points]`, overwritten (the same on every rank of the
    ///   channel group)
    func apply(_ x: UnsafePointer<Float>, points: Int, members: Int, work: TileWork, tile: Int, into y: UnsafeMutablePointer<Float>) throws {
        let (inputs, outputs) = (local.inChannels * points, local.output.outChannels * points)
        for m in 0..<members {
            local.apply(x + m * inputs, points: points, work: work, tile: tile, into: y + m * outputs)
            try channel?.allreduce(UnsafeMutableBufferPointer(start: y + m * outputs, count: outputs), .sum)
        }
    }
}
