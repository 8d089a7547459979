import MPI

/// `InstanceNorm` and torch-harmonics' `LayerNorm` on fields split over the spatial group: the statistics
/// of each channel cover the whole grid, so every rank computes `(count, mean, M2)` of its slab (in
/// Double, two passes), the spatial group allgathers them (one collective, 3 doubles per channel) and every
/// rank merges them in rank order (Chan, Golub & LeVeque's pairwise update; makani's distributed instance
/// norm does the same with a Welford merge), so all ranks use the same mean and variance. On a spatial group
/// of one rank (or without one: a serial network) the serial layer runs.
struct DistributedNormalisation: Sendable {
    enum Kind: Sendable {
        /// Per-channel affine map (`InstanceNorm`, full `[channels]` weights).
        case instance(InstanceNorm)
        /// Per-point affine map (`LayerNorm`): the serial layer (one rank) and this rank's slab of its
        /// weights `[points]`.
        case layer(LayerNorm, weight: [Float], bias: [Float])
    }

    let kind: Kind
    /// The spatial group when it has more than one rank (nil: the serial layer runs).
    let spatial: Communicator?

    init(kind: Kind, spatial: Communicator?) {
        self.kind = kind
        self.spatial = (spatial?.size ?? 1) > 1 ? spatial : nil
    }

    /// - x: `[members][channels][points]` (this rank's slab), normalised in place. Split, one allgather covers
    ///   all members (each channel's statistics are merged alone, so a member's numbers do not depend on its batch).
    func apply(_ x: UnsafeMutablePointer<Float>, channels: Int, points: Int, members: Int) throws {
        guard let spatial else {
            for m in 0..<members {
                let member = x + m * channels * points
                switch kind {
                case .instance(let norm): norm.apply(member, points: points)
                case .layer(let norm, _, _): norm.apply(member, channels: channels)
                }
            }
            return
        }
        let eps: Float
        switch kind {
        case .instance(let norm): eps = norm.eps
        case .layer(let norm, _, _): eps = norm.eps
        }
        let statistics = try spatialMoments(x, channels: members * channels, points: points, eps: eps, spatial: spatial)
        for row in 0..<(members * channels) {
            let values = x + row * points
            let c = row % channels
            let (mean, scale) = statistics[row]
            switch kind {
            case .instance(let norm):
                let a = scale * norm.weight[c]
                let b = norm.bias[c]
                for p in 0..<points { values[p] = (values[p] - mean) * a + b }
            case .layer(_, let weight, let bias):
                for p in 0..<points { values[p] = (values[p] - mean) * scale * weight[p] + bias[p] }
            }
        }
    }
}

/// Mean and `1/√(biased variance + eps)` of each channel over the grid split across `spatial`.
/// - x: `[channels][points]`, this rank's slab
func spatialMoments(_ x: UnsafePointer<Float>, channels: Int, points: Int, eps: Float,
                    spatial: Communicator) throws -> [(mean: Float, scale: Float)] {
    // 1. This slab's (count, mean, M2) per channel.
    var local = [Double](repeating: 0, count: 3 * channels)
    for c in 0..<channels where points > 0 {
        let (mean, squares) = meanAndSquares(x + c * points, points: points)
        local[3 * c] = Double(points)
        local[3 * c + 1] = mean
        local[3 * c + 2] = squares
    }
    // 2. One allgather over the spatial group. After this: [rank][channel][3] on every rank.
    let all = try spatial.allgather(local)
    // 3. Merge in rank order (the same arithmetic on every rank).
    return (0..<channels).map { c in
        var n = 0.0, mean = 0.0, m2 = 0.0
        for q in 0..<spatial.size {
            let nb = all[(q * channels + c) * 3], mb = all[(q * channels + c) * 3 + 1], m2b = all[(q * channels + c) * 3 + 2]
            guard nb > 0 else { continue }
            let total = n + nb
            let delta = mb - mean
            mean += delta * nb / total
            m2 += m2b + delta * delta * n * nb / total
            n = total
        }
        let variance = m2 / n
        return (Float(mean), Float(1 / (variance + Double(eps)).squareRoot()))
    }
}
