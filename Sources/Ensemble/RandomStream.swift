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
/// `(run seed, member or pair id, initial time, purpose, channel)`, so a member's perturbation can be
/// regenerated alone, on any rank, in any process layout.
///
/// Bit packing of the 64-bit stream id (most significant first):
///
///     | member: 32 bits | initial time: 16 bits | purpose: 4 bits | channel: 12 bits |
///
/// Distinct `(member < 2³², initialTime < 2¹⁶, purpose, channel < 4096)` give distinct streams; the run seed
/// is Philox's key, so different runs never share a stream either.
///
/// The initial time is the index of the member's start in the run's list of initial times
/// (`EnsembleMember.time`), which the perturbations pass; a draw tied to no initial time passes 0 (the
/// analysis error, which puts its valid hour in the member field instead).
public enum RandomStream {
    /// Largest member or pair id + 1.
    public static let memberLimit = 1 << 32
    /// Largest initial-time index + 1.
    public static let initialTimeLimit = 1 << 16
    /// Largest channel index + 1.
    public static let channelLimit = 1 << 12

    /// The stream id of `(member, initialTime, purpose, channel)`; see the type's bit packing.
    /// - member: member or centred-pair id, `0 ..< 2³²`
    /// - initialTime: index of the member's initial time in the run's list (`EnsembleMember.time`), `0 ..< 2¹⁶`
    /// - channel: index of the field among those drawn for the same key, `0 ..< 4096`
    public static func stream(member: Int, initialTime: Int, purpose: RandomPurpose, channel: Int = 0) -> UInt64 {
        precondition((0..<memberLimit).contains(member), "RandomStream: member \(member) outside 0 ..< 2^32")
        precondition((0..<initialTimeLimit).contains(initialTime),
                     "RandomStream: initial-time index \(initialTime) outside 0 ..< 2^16")
        precondition((0..<channelLimit).contains(channel), "RandomStream: channel \(channel) outside 0 ..< 4096")
        return UInt64(member) << 32 | UInt64(initialTime) << 16 | purpose.rawValue << 12 | UInt64(channel)
    }

    /// The generator of `(seed, member, initialTime, purpose, channel)`, at its first draw.
    public static func generator(seed: UInt64, member: Int, initialTime: Int, purpose: RandomPurpose,
                                 channel: Int = 0) -> CounterRandom {
        CounterRandom(seed: seed, stream: stream(member: member, initialTime: initialTime, purpose: purpose,
                                                 channel: channel))
    }
}
