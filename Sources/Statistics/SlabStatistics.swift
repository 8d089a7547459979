/// Per-point ensemble statistics of a slab of grid points that holds all M members of each point (after
/// the ensemble transpose), without a verification: what the runner writes to the statistics file. Every
/// value of a point comes from that point's members alone, in a fixed order, so it is bit for bit the same
/// at any rank count.
///
/// Mean and variance are two-pass float64 over the point's members; quantiles numpy "linear".
public struct SlabStatistics: Sendable {
    public let memberCount: Int
    public let pointCount: Int
    /// [point]
    public var mean: [Double], variance: [Double], minimum: [Double], maximum: [Double]
    /// Members with |x − mean| > k·std (ddof 1). [point]
    public var beyondKSigma: [Double]
    /// [level][point] flattened
    public var quantiles: [Double]
    /// Members above τ, as a share of M. [threshold][point] flattened
    public var exceedance: [Double]

    /// - members: [pointCount][memberCount] float32, all members of each point.
    public init(members: UnsafeBufferPointer<Float>, memberCount m: Int, configuration: ScoreConfiguration) {
        self.init(members: members, memberCount: m, configuration: configuration) { _, _ in }
    }

    /// The same, calling `visit(point, sorted members)` for each point while its sorted members are at hand
    /// (how `SlabScores` adds the verification in the same pass). Memory: one M-long float64 buffer.
    init(members: UnsafeBufferPointer<Float>, memberCount m: Int, configuration: ScoreConfiguration,
         visit: (Int, UnsafeBufferPointer<Double>) -> Void) {
        precondition(m >= 2, "SlabStatistics: need at least 2 members, got \(m)")
        precondition(members.count % m == 0, "SlabStatistics: \(members.count) values are not whole points of \(m) members")
        let n = members.count / m
        let levels = configuration.quantileLevels
        let thresholds = configuration.thresholds
        memberCount = m
        pointCount = n
        mean = .init(repeating: 0, count: n); variance = mean; minimum = mean; maximum = mean; beyondKSigma = mean
        quantiles = .init(repeating: 0, count: levels.count * n)
        exceedance = .init(repeating: 0, count: thresholds.count * n)
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
            mean[p] = average
            variance[p] = squares / Double(m - 1)
            beyondKSigma[p] = beyond
            sorted.withUnsafeBufferPointer { x in
                minimum[p] = x[0]
                maximum[p] = x[m - 1]
                for (k, q) in levels.enumerated() { quantiles[k * n + p] = SortedEnsemble.quantile(x, q) }
                for (k, tau) in thresholds.enumerated() {
                    let notAbove = SortedEnsemble.position(x, tau)
                    exceedance[k * n + p] = Double(m - notAbove.below - notAbove.ties) / Double(m)
                }
                visit(p, x)
            }
        }
    }
}
