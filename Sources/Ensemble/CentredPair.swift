/// Which centred pair a perturbed member belongs to, and on which side: HENS's members come in pairs
/// `x0 + dx_p`, `x0 − dx_p` that share one bred vector `dx_p`. Member `k` (counting perturbed members only; a
/// control member, if the run has one, is the caller's and is not counted) is in pair `k / 2`, with sign `+`
/// for even `k` and `−` for odd `k` — earth2studio's generator yields the `+` member of each pair first.
public struct CentredPair: Sendable, Hashable {
    /// The pair id `p`: the key of the pair's seed noise.
    public let pair: Int
    /// `+1` or `−1`.
    public let sign: Float

    /// - member: perturbed member index `k ≥ 0`
    public init(member: Int) {
        precondition(member >= 0, "CentredPair: negative member \(member)")
        pair = member / 2
        sign = member % 2 == 0 ? 1 : -1
    }

    /// The two members of pair `p`: `2p` (+) and `2p + 1` (−).
    public static func members(ofPair pair: Int) -> (plus: Int, minus: Int) { (2 * pair, 2 * pair + 1) }
}
