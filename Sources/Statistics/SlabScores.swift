/// Per-point verification of a slab of grid points that holds all M members of each point (after
/// `EnsembleTranspose.forward`), with the slab's `SlabStatistics` computed in the same pass (one sort per
/// point). Every value of a point comes from that point's members alone, so it is bit for bit the same at
/// any rank count.
public struct SlabScores: Sendable {
    /// Mean, variance, extremes, quantiles, exceedance and ±kσ counts of the slab.
    public let statistics: SlabStatistics
    public var memberCount: Int { statistics.memberCount }
    public var pointCount: Int { statistics.pointCount }
    /// Global index of the slab's first point (row-major lat × lon of the field).
    public let firstPoint: Int
    /// [point]
    public let crps: [Double], fairCRPS: [Double]
    /// Rank of the truth, 0…M, ties broken by `RankTieBreak`. [point]
    public let rank: [Int]
    /// 1 where the truth lies outside [min, max]. [point]
    public let outlier: [Double]
    /// The best member's error at the point, `min_i |x_i − y|`. [point]
    public let bestError: [Double]
    /// Observed event `truth > τ` (0/1). [threshold][point] flattened
    public let observed: [Double]
    /// Threshold-weighted CRPS with chaining `max(x, τ)` (`SortedEnsemble.thresholdWeightedCRPS`).
    /// [threshold][point] flattened
    public let thresholdWeightedCRPS: [Double]
    /// Outcome-weighted CRPS with the weight `1{x > τ}` (`SortedEnsemble.outcomeWeightedCRPS`; NaN where no
    /// member exceeds τ). [threshold][point] flattened
    public let outcomeWeightedCRPS: [Double]

    /// - members: [pointCount][memberCount] float32, all members of each point; truth: [pointCount].
    public init(members: UnsafeBufferPointer<Float>, truth: UnsafeBufferPointer<Float>, memberCount m: Int,
                firstPoint: Int, lead: Int, variable: Int, configuration: ScoreConfiguration) {
        precondition(members.count == truth.count * m, "SlabScores: \(members.count) values for \(truth.count) points × \(m) members")
        let n = truth.count
        let thresholds = configuration.thresholds
        let tieBreak = RankTieBreak(seed: configuration.seed)
        var crps = [Double](repeating: 0, count: n), fairCRPS = crps, outlier = crps, bestError = crps
        var rank = [Int](repeating: 0, count: n)
        var observed = [Double](repeating: 0, count: thresholds.count * n), thresholdWeightedCRPS = observed
        var outcomeWeightedCRPS = observed
        statistics = SlabStatistics(members: members, memberCount: m, configuration: configuration) { p, x in
            let y = Double(truth[p])
            crps[p] = SortedEnsemble.crps(x, y)
            fairCRPS[p] = SortedEnsemble.fairCRPS(x, y)
            outlier[p] = SortedEnsemble.isOutlier(x, y) ? 1 : 0
            let (below, ties) = SortedEnsemble.position(x, y)
            bestError[p] = ties > 0 ? 0 : min(below > 0 ? y - x[below - 1] : .infinity, below < m ? x[below] - y : .infinity)
            rank[p] = tieBreak.rank(below: below, ties: ties, lead: lead, variable: variable, point: firstPoint + p)
            for (k, tau) in thresholds.enumerated() {
                observed[k * n + p] = y > tau ? 1 : 0
                thresholdWeightedCRPS[k * n + p] = SortedEnsemble.thresholdWeightedCRPS(x, y, threshold: tau)
                outcomeWeightedCRPS[k * n + p] = SortedEnsemble.outcomeWeightedCRPS(x, y, threshold: tau)
            }
        }
        self.firstPoint = firstPoint
        (self.crps, self.fairCRPS, self.outlier, self.bestError, self.rank, self.observed) = (crps, fairCRPS, outlier, bestError, rank, observed)
        (self.thresholdWeightedCRPS, self.outcomeWeightedCRPS) = (thresholdWeightedCRPS, outcomeWeightedCRPS)
    }
}
