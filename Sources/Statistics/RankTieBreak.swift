import Kernels

/// The rank of the verification among the members, 0…M, with ties broken at random by the counter RNG,
/// as a pure function of `(seed, lead, variable, point)`: the same in any layout, at any rank count, on
/// a rerun. With `below` members strictly below y and `ties` equal to it,
///
///     rank = below + ⌊u · (ties + 1) / 2³²⌋,
///
/// u the first 32-bit word of `CounterRandom(seed: seed, stream: lead << 48 | variable << 32 | point)`
/// (Philox4x32-10), so each of the ties + 1 positions is (to 2⁻³²) equally likely.
public struct RankTieBreak: Sendable {
    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    /// The counter stream of a grid point (point < 2³², variable and lead < 2¹⁶).
    public static func stream(lead: Int, variable: Int, point: Int) -> UInt64 {
        precondition(point >= 0 && point < 1 << 32 && variable >= 0 && variable < 1 << 16 && lead >= 0 && lead < 1 << 16,
                     "RankTieBreak: lead \(lead), variable \(variable) or point \(point) out of range")
        return UInt64(lead) << 48 | UInt64(variable) << 32 | UInt64(point)
    }

    public func rank(below: Int, ties: Int, lead: Int, variable: Int, point: Int) -> Int {
        guard ties > 0 else { return below }
        var generator = CounterRandom(seed: seed, stream: RankTieBreak.stream(lead: lead, variable: variable, point: point))
        let u = UInt64(generator.next())
        return below + Int((u * UInt64(ties + 1)) >> 32)
    }
}
