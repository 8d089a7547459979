/// Per-point statistics and scores of a slab of grid points that holds all M members of each point
/// (after `EnsembleTranspose.forward`), against the verification. Every value of a point comes from that
/// point's members alone, in a fixed order, so it is bit for bit the same at any rank count.
///
/// Mean and variance here are two-pass float64 over the point's members (exact to round-off); the
/// streaming, transpose-free ones are `EnsembleMoments`.
public struct SlabScores: Sendable {
    public let memberCount: Int
    /// Global index of the slab's first point (row-major lat × lon of the field).
    public let firstPoint: Int
    public let pointCount: Int
    /// [point]
    public var mean: [Double], variance: [Double], minimum: [Double], maximum: [Double]
    public var crps: [Double], fairCRPS: [Double]
    /// Rank of the truth, 0…M, ties broken by `RankTieBreak`. [point]
    public var rank: [Int]
    /// 1 where the truth lies outside [min, max]. [point]
    public var outlier: [Double]
    /// The best member's error at the point, `min_i |x_i − y|`. [point]
    public var bestError: [Double]
    /// Members with |x − mean| > k·std (ddof 1). [point]
    public var beyondKSigma: [Double]
    /// [level][point] flattened
    public var quantiles: [Double]
    /// Members above τ, as a share of M. [threshold][point] flattened
    public var exceedance: [Double]
    /// Observed event `truth > τ` (0/1). [threshold][point] flattened
    public var observed: [Double]

    /// - members: [pointCount][memberCount] float32, all members of each point; truth: [pointCount].
    public init(members: UnsafeBufferPointer<Float>, truth: UnsafeBufferPointer<Float>, memberCount m: Int,
                firstPoint: Int, lead: Int, variable: Int, configuration: ScoreConfiguration) {
        precondition(m >= 2, "SlabScores: need at least 2 members, got \(m)")
        precondition(members.count == truth.count * m, "SlabScores: \(members.count) values for \(truth.count) points × \(m) members")
        let n = truth.count
        let levels = configuration.quantileLevels
        let thresholds = configuration.thresholds
        memberCount = m
        self.firstPoint = firstPoint
        pointCount = n
        mean = .init(repeating: 0, count: n); variance = mean; minimum = mean; maximum = mean
        crps = mean; fairCRPS = mean; outlier = mean; beyondKSigma = mean; bestError = mean
        rank = .init(repeating: 0, count: n)
        quantiles = .init(repeating: 0, count: levels.count * n)
        exceedance = .init(repeating: 0, count: thresholds.count * n)
        observed = exceedance
        let tieBreak = RankTieBreak(seed: configuration.seed)
        var sorted = [Double](repeating: 0, count: m)
        for p in 0..<n {
            var sum = 0.0
            for i in 0..<m { sorted[i] = Double(members[p * m + i]); sum += sorted[i] }
            let average = sum / Double(m)
            var squares = 0.0
            for i in 0..<m { let d = sorted[i] - average; squares += d * d }
            let std = (squares / Double(m - 1)).squareRoot()
            var beyond = 0.0
            for i in 0..<m where abs(sorted[i] - average) > configuration.kSigma * std { beyond += 1 }
            sorted.sort()
            let y = Double(truth[p])
            mean[p] = average
            variance[p] = squares / Double(m - 1)
            beyondKSigma[p] = beyond
            sorted.withUnsafeBufferPointer { x in
                minimum[p] = x[0]
                maximum[p] = x[m - 1]
                crps[p] = SortedEnsemble.crps(x, y)
                fairCRPS[p] = SortedEnsemble.fairCRPS(x, y)
                outlier[p] = SortedEnsemble.isOutlier(x, y) ? 1 : 0
                let (below, ties) = SortedEnsemble.position(x, y)
                bestError[p] = ties > 0 ? 0 : min(below > 0 ? y - x[below - 1] : .infinity,
                                                  below < m ? x[below] - y : .infinity)
                rank[p] = tieBreak.rank(below: below, ties: ties, lead: lead, variable: variable, point: firstPoint + p)
                for (k, q) in levels.enumerated() { quantiles[k * n + p] = SortedEnsemble.quantile(x, q) }
                for (k, tau) in thresholds.enumerated() {
                    let notAbove = SortedEnsemble.position(x, tau)
                    exceedance[k * n + p] = Double(m - notAbove.below - notAbove.ties) / Double(m)
                    observed[k * n + p] = y > tau ? 1 : 0
                }
            }
        }
    }
}
