import Foundation

/// The ROC of the event `y > τ` from the exact counts of points by members above τ: at probability level
/// k/M (k = 0 … M) the forecast says "yes" where at least k of the M members exceed τ (p ≥ k/M), so
///
/// - hit rate `H_k = #(events with j ≥ k) / #events`, false-alarm rate `F_k = #(non-events with j ≥ k) / #non-events`
///   (k = 0 gives (1, 1));
/// - area under the curve by the trapezoid rule over (0, 0), (F_M, H_M), …, (F_0, H_0) = (1, 1);
/// - EDI (Ferro & Stephenson 2011) `(ln F − ln H)/(ln F + ln H)` at level ⌈M/2⌉/M, i.e. p ≥ 0.5.
///
/// Unweighted point counts like the reliability table; NaN where there are no events or no non-events
/// (and the EDI where a logarithm is undefined or the denominator is zero).
extension VerificationSummary {
    /// Points with at least `level` members above τ, among events or non-events.
    private func cumulative(threshold k: Int, level: Int, event: Bool) -> Double {
        let base = rocOffset + 2 * (memberCount + 1) * k + (event ? 0 : memberCount + 1)
        var sum = 0.0
        for j in level...memberCount { sum += sums[base + j] }
        return sum
    }

    public func hitRate(threshold k: Int, level: Int) -> Double {
        cumulative(threshold: k, level: level, event: true) / cumulative(threshold: k, level: 0, event: true)
    }

    public func falseAlarmRate(threshold k: Int, level: Int) -> Double {
        cumulative(threshold: k, level: level, event: false) / cumulative(threshold: k, level: 0, event: false)
    }

    public func rocArea(threshold k: Int) -> Double {
        var area = 0.0, previous = (f: 0.0, h: 0.0)
        for level in stride(from: memberCount, through: 0, by: -1) {
            let point = (f: falseAlarmRate(threshold: k, level: level), h: hitRate(threshold: k, level: level))
            area += (point.f - previous.f) * (point.h + previous.h) / 2
            previous = point
        }
        return area
    }

    /// The probability level of the EDI: ⌈M/2⌉, the least k with k/M ≥ 0.5.
    public var extremalDependenceLevel: Int { (memberCount + 1) / 2 }

    public func extremalDependenceIndex(threshold k: Int) -> Double {
        let level = extremalDependenceLevel
        let (f, h) = (log(falseAlarmRate(threshold: k, level: level)), log(hitRate(threshold: k, level: level)))
        let edi = (f - h) / (f + h)
        return edi.isFinite ? edi : .nan
    }

    /// Adds another summary's ROC counts (M′ ≤ M members) at this one's levels: a point with j′ of M′ members
    /// above τ says "yes" at level k/M where j′/M′ ≥ k/M, i.e. j′ ≥ ⌈k M′/M⌉ — exact integer counts, stored
    /// back as the points between consecutive levels.
    mutating func accumulateROC(_ other: VerificationSummary) {
        let (m, mOther) = (memberCount, other.memberCount)
        for k in 0..<thresholdCount {
            for event in [true, false] {
                let base = rocOffset + 2 * (m + 1) * k + (event ? 0 : m + 1)
                // other's points with at least j′ members above τ, j′ = 0 … M′
                let otherBase = other.rocOffset + 2 * (mOther + 1) * k + (event ? 0 : mOther + 1)
                var atLeastOther = [Double](repeating: 0, count: mOther + 2)
                for j in stride(from: mOther, through: 0, by: -1) { atLeastOther[j] = atLeastOther[j + 1] + other.sums[otherBase + j] }
                var above = 0.0  // other's points at or above the next level
                for level in stride(from: m, through: 0, by: -1) {
                    let atLeast = atLeastOther[(level * mOther + m - 1) / m]
                    sums[base + level] += atLeast - above
                    above = atLeast
                }
            }
        }
    }
}
