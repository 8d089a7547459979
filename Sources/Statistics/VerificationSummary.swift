/// Global (area-weighted) verification scores of one variable at one lead time, accumulated point by
/// point from `SlabScores` and merged across ranks by one sum-allreduce (`+Reduction`).
///
/// With point weights w (quadrature weight of the point's latitude), `⟨v⟩ = Σ w v / Σ w`:
///
/// - `rmse = sqrt⟨(x̄ − y)²⟩` (ensemble-mean RMSE), `spread = sqrt⟨s²⟩` (s² ddof 1), and the spread–skill
///   ratio in three conventions that all mean "1 is calibrated": Fortin et al. (2014), Myriad's default,
///   `spreadSkill = sqrt((M + 1)/M) · spread / rmse`; WeatherBench2's `spreadSkillWB2 = spread / rmse`;
///   makani's `spreadSkillMakani = sqrt(⟨s²⟩ / (⟨(x̄ − y)²⟩ − ⟨s²⟩/M))` (NaN where the denominator is not
///   positive, a vastly over-dispersed ensemble);
/// - `pointwiseBestMemberRMSE = sqrt⟨min_i (x_i − y)²⟩`;
/// - `crps = ⟨CRPS⟩`, `fairCRPS = ⟨fair CRPS⟩`, `outlierFraction = ⟨truth ∉ [min, max]⟩` (area share),
///   `brier[τ] = ⟨(p_τ − o_τ)²⟩` with `p_τ` the share of members above τ and `o_τ = [y > τ]`;
/// - `thresholdWeightedCRPS[τ] = ⟨twCRPS⟩` with chaining `max(x, τ)`; `outcomeWeightedCRPS[τ] = ⟨owCRPS⟩` with
///   the weight `1{x > τ}`, over the points where it is defined (some member above τ); `debiasedMSE = ⟨(x̄ − y)²⟩ − ⟨s²⟩/M`
///   (WeatherBench2's debiased ensemble-mean MSE);
/// - counts, not weighted: `rankHistogram` (M + 1 bins), the 11-bin reliability table per threshold
///   (points, observed frequency, mean forecast probability per bin), and per threshold the points with
///   j of M members above τ, split by observed event — the ROC's hit and false-alarm rates at every
///   probability level k/M, its area and the EDI come from these exactly.
///
/// Memory: a fixed number of sums plus the M + 1 rank-histogram bins and 2(M + 1) ROC counts per threshold.
public struct VerificationSummary: Sendable {
    public let memberCount: Int
    public let thresholdCount: Int
    /// The sums, in the order of `Index`, then per threshold the Brier sum, then per threshold the tw-CRPS
    /// sum, then per threshold the ow-CRPS sum and the weight of its points, then per threshold and bin (count, Σ observed, Σ forecast), then the M + 1 rank counts, then per
    /// threshold the M + 1 event counts and the M + 1 non-event counts by members above τ (`rocOffset`), then
    /// the energy score's M + (M − 1) sums (`energyOffset`).
    /// Counts are exact in float64.
    public internal(set) var sums: [Double]

    enum Index: Int, CaseIterable { case weight, crps, fairCRPS, squaredError, variance, outlier, bestSquaredError }

    public init(memberCount: Int, thresholdCount: Int) {
        self.memberCount = memberCount
        self.thresholdCount = thresholdCount
        let bins = ScoreConfiguration.reliabilityBinCount
        sums = [Double](repeating: 0, count: Index.allCases.count + thresholdCount * (4 + 3 * bins) + (memberCount + 1) * (1 + 2 * thresholdCount)
                                              + 2 * memberCount - 1)
    }

    private var brierOffset: Int { Index.allCases.count }
    private var thresholdWeightedCRPSOffset: Int { brierOffset + thresholdCount }
    private var outcomeWeightedCRPSOffset: Int { thresholdWeightedCRPSOffset + thresholdCount }
    /// Per threshold `Σ w` over the points where the ow-CRPS is defined.
    private var outcomeWeightOffset: Int { outcomeWeightedCRPSOffset + thresholdCount }
    private var reliabilityOffset: Int { outcomeWeightOffset + thresholdCount }
    var rankOffset: Int { reliabilityOffset + 3 * ScoreConfiguration.reliabilityBinCount * thresholdCount }
    /// Per threshold k: `rocOffset + 2(M + 1)k + j` counts the event points with j members above τ,
    /// `+ (M + 1)` more the non-event points.
    var rocOffset: Int { rankOffset + memberCount + 1 }
    /// Per member i `Σ w (x_i − y)²`, then per adjacent pair n `Σ w (x_n − x_{n+1})²` (`addEnergy`).
    var energyOffset: Int { rocOffset + 2 * (memberCount + 1) * thresholdCount }

    /// Adds the slab's points. - pointWeights: weight of each slab point, [slab.pointCount]
    public mutating func add(_ slab: SlabScores, truth: UnsafeBufferPointer<Float>, pointWeights: UnsafeBufferPointer<Double>) {
        precondition(slab.memberCount == memberCount && slab.pointCount == truth.count && truth.count == pointWeights.count,
                     "VerificationSummary.add: sizes differ")
        precondition(slab.observed.count == thresholdCount * slab.pointCount, "VerificationSummary.add: threshold count differs")
        let n = slab.pointCount
        let m = memberCount
        let bins = ScoreConfiguration.reliabilityBinCount
        for p in 0..<n {
            let w = pointWeights[p]
            let error = slab.statistics.mean[p] - Double(truth[p])
            sums[Index.weight.rawValue] += w
            sums[Index.crps.rawValue] += w * slab.crps[p]
            sums[Index.fairCRPS.rawValue] += w * slab.fairCRPS[p]
            sums[Index.squaredError.rawValue] += w * error * error
            sums[Index.variance.rawValue] += w * slab.statistics.variance[p]
            sums[Index.outlier.rawValue] += w * slab.outlier[p]
            sums[Index.bestSquaredError.rawValue] += w * slab.bestError[p] * slab.bestError[p]
            sums[rankOffset + slab.rank[p]] += 1
            for k in 0..<thresholdCount {
                let probability = slab.statistics.exceedance[k * n + p]
                let event = slab.observed[k * n + p]
                sums[brierOffset + k] += w * (probability - event) * (probability - event)
                sums[thresholdWeightedCRPSOffset + k] += w * slab.thresholdWeightedCRPS[k * n + p]
                let outcomeWeighted = slab.outcomeWeightedCRPS[k * n + p]
                if !outcomeWeighted.isNaN {
                    sums[outcomeWeightedCRPSOffset + k] += w * outcomeWeighted
                    sums[outcomeWeightOffset + k] += w
                }
                let j = Int((probability * Double(m)).rounded())
                sums[rocOffset + 2 * (m + 1) * k + (event > 0 ? 0 : m + 1) + j] += 1
                let b = reliabilityOffset + 3 * (k * bins + ScoreConfiguration.reliabilityBin(exceeding: j, of: m))
                sums[b] += 1
                sums[b + 1] += event
                sums[b + 2] += probability
            }
        }
    }

    private func mean(_ index: Index) -> Double { sums[index.rawValue] / sums[Index.weight.rawValue] }

    public var rmse: Double { mean(.squaredError).squareRoot() }
    public var spread: Double { mean(.variance).squareRoot() }
    public var spreadSkill: Double { (Double(memberCount + 1) / Double(memberCount)).squareRoot() * spread / rmse }
    public var spreadSkillWB2: Double { spread / rmse }
    public var spreadSkillMakani: Double {
        let denominator = mean(.squaredError) - mean(.variance) / Double(memberCount)
        return denominator > 0 ? (mean(.variance) / denominator).squareRoot() : .nan
    }
    /// WeatherBench2's debiased ensemble-mean MSE, `⟨(x̄ − y)²⟩ − ⟨s²⟩/M`: an unbiased estimate of the MSE
    /// of the infinite ensemble's mean.
    public var debiasedMSE: Double { mean(.squaredError) - mean(.variance) / Double(memberCount) }
    public var crps: Double { mean(.crps) }
    public var fairCRPS: Double { mean(.fairCRPS) }
    public var outlierFraction: Double { mean(.outlier) }
    /// `sqrt⟨min_i (x_i − y)²⟩`: the best member chosen at each point (for the one member best over the
    /// globe see `BestMember`).
    public var pointwiseBestMemberRMSE: Double { mean(.bestSquaredError).squareRoot() }
    public func brier(threshold k: Int) -> Double { sums[brierOffset + k] / sums[Index.weight.rawValue] }
    public func thresholdWeightedCRPS(threshold k: Int) -> Double { sums[thresholdWeightedCRPSOffset + k] / sums[Index.weight.rawValue] }
    /// `⟨owCRPS⟩` over the points where some member exceeds τ (NaN where none does anywhere).
    public func outcomeWeightedCRPS(threshold k: Int) -> Double { sums[outcomeWeightedCRPSOffset + k] / sums[outcomeWeightOffset + k] }
    public var rankHistogram: [Int] { sums[rankOffset..<rocOffset].map { Int($0) } }

    /// Points, observed frequency and mean forecast probability of bin `b` (NaN frequencies when empty).
    public func reliability(threshold k: Int, bin b: Int) -> (count: Int, observed: Double, forecast: Double) {
        let i = reliabilityOffset + 3 * (k * ScoreConfiguration.reliabilityBinCount + b)
        let count = sums[i]
        return (Int(count), count > 0 ? sums[i + 1] / count : .nan, count > 0 ? sums[i + 2] / count : .nan)
    }

    /// The rows of scores.csv for this summary of one initial time and the best member over the field
    /// (`BestMember`), in the order of `ScoreDescriptor.csvRows`.
    public func rows(thresholds: [Double], bestMember: (member: Int, rmse: Double)) -> [(metric: String, value: Double)] {
        precondition(thresholds.count == thresholdCount, "rows: \(thresholds.count) thresholds, summary has \(thresholdCount)")
        return ScoreDescriptor.csvRows(ScoreValues(summary: self, energyScore: energyScore, bestMember: (bestMember.member, bestMember.rmse)),
                                       thresholds: thresholds)
    }
}
