import Kernels

/// What a random draw is for. Each purpose owns its own Philox streams, so adding a new kind of draw never
/// moves the draws of an existing one.
public enum RandomPurpose: UInt64, Sendable, CaseIterable {
    /// The correlated spherical field that seeds a bred vector (one per centred pair).
    case seedNoise = 0
    /// White Gaussian noise, independent per grid point.
    case gaussianNoise = 1
    /// Draws that evolve a noise field in time during a rollout (AR(1) updates, stochastic physics).
    case rolloutNoise = 2
    /// The analysis error of an imperfect analysis (one field per channel and valid time, for every member).
    case analysisError = 3
}

/// The Philox stream of one random field: every draw of Myriad is a pure function of
/// `(run seed, member or pair id, step, purpose, channel)`, so a member's perturbation can be regenerated
/// alone, on any rank, in any process layout.
///
/// Bit packing of the 64-bit stream id (most significant first):
///
///     | member: 32 bits | step: 16 bits | purpose: 4 bits | channel: 12 bits |
///
/// Distinct `(member < 2³², step < 2¹⁶, purpose, channel < 4096)` give distinct streams; the run seed is
/// Philox's key, so different runs never share a stream either.
public enum RandomStream {
    /// Largest member or pair id + 1.
    public static let memberLimit = 1 << 32
    /// Largest step + 1.
    public static let stepLimit = 1 << 16
    /// Largest channel index + 1.
    public static let channelLimit = 1 << 12

    /// The stream id of `(member, step, purpose, channel)`; see the type's bit packing.
    /// - member: member or centred-pair id, `0 ..< 2³²`
    /// - step: time step (0 for initial-condition perturbations), `0 ..< 2¹⁶`
    /// - channel: index of the field among those drawn for the same key, `0 ..< 4096`
    public static func stream(member: Int, step: Int, purpose: RandomPurpose, channel: Int = 0) -> UInt64 {
        precondition((0..<memberLimit).contains(member), "RandomStream: member \(member) outside 0 ..< 2^32")
        precondition((0..<stepLimit).contains(step), "RandomStream: step \(step) outside 0 ..< 2^16")
        precondition((0..<channelLimit).contains(channel), "RandomStream: channel \(channel) outside 0 ..< 4096")
        return UInt64(member) << 32 | UInt64(step) << 16 | purpose.rawValue << 12 | UInt64(channel)
    }

    /// The generator of `(seed, member, step, purpose, channel)`, at its first draw.
    public static func generator(seed: UInt64, member: Int, step: Int, purpose: RandomPurpose,
                                 channel: Int = 0) -> CounterRandom {
        CounterRandom(seed: seed, stream: stream(member: member, step: step, purpose: purpose, channel: channel))
    }
}
