import ModelInterface

/// Members in centred ± pairs about the state read (`perturbation.centred_pairs`, on by default for bred
/// vectors): members `2p` and `2p + 1` of a checkpoint are `x0 + dx_p` and `x0 − dx_p` (`CentredPair`), with
/// `dx_p` the wrapped method's draw `p`, computed once for both.
final class CentredPairPerturbation: PerturbationMethod {
    let method: any PerturbationMethod
    /// The last pair's draw, keyed by (initial time, checkpoint, pair): its second member reuses it.
    private var lastPair: (key: [Int], dx: [Float]?)?

    init(_ method: any PerturbationMethod) { self.method = method }

    /// - key: the member's ensemble index; the draw is its pair's, `key / 2`
    func perturbation(key: Int, of member: Member, x0: [Float], model: any ForecastModel) throws -> [Float]? {
        let pair = key / 2
        let cacheKey = [member.time, member.checkpoint, pair]
        let dx: [Float]?
        if let lastPair, lastPair.key == cacheKey {
            dx = lastPair.dx
        } else {
            dx = try method.perturbation(key: pair, of: member, x0: x0, model: model)
            lastPair = (cacheKey, dx)
        }
        let sign = CentredPair(member: member.perturbation).sign
        return dx.map { $0.map { sign * $0 } }
    }
}
