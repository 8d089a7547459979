extension Checkpoint {
    /// `(x − mean) / std` per state channel, in place; nothing for a checkpoint without `zscore`.
    /// - state: `[stateChannelCount][points]`
    public func normalise(_ state: inout [Float]) {
        guard let means, let stds else { return }
        let points = state.count / means.count
        for c in 0..<means.count { for p in 0..<points { state[c * points + p] = (state[c * points + p] - means[c]) / stds[c] } }
    }

    /// `std · x + mean` per state channel, in place; nothing for a checkpoint without `zscore`.
    public func denormalise(_ state: inout [Float]) {
        guard let means, let stds else { return }
        let points = state.count / means.count
        for c in 0..<means.count { for p in 0..<points { state[c * points + p] = stds[c] * state[c * points + p] + means[c] } }
    }
}
