/// Scores of one grid point from its M members sorted ascending, `x_(1) ≤ … ≤ x_(M)`, and the
/// verification y, all in float64. Each is O(M) (the rank O(log M)) after the O(M log M) sort.
public enum SortedEnsemble {
    /// The pairwise term `Σ_{i<j} |x_i − x_j| = Σ_i (2i − M − 1) x_(i)` (1-based i). The weights sum to
    /// zero, so values are taken relative to `x_(1)` to avoid cancellation for fields far from zero.
    public static func pairwiseAbsoluteDifference(_ x: UnsafeBufferPointer<Double>) -> Double {
        let m = x.count
        guard m > 1 else { return 0 }
        let origin = x[0]
        var sum = 0.0
        for i in 0..<m { sum += Double(2 * i + 1 - m) * (x[i] - origin) }
        return sum
    }

    /// `(1/M) Σ |x_i − y|`
    public static func meanAbsoluteError(_ x: UnsafeBufferPointer<Double>, _ y: Double) -> Double {
        var sum = 0.0
        for v in x { sum += abs(v - y) }
        return sum / Double(x.count)
    }

    /// CRPS of the ensemble's empirical distribution (properscoring `crps_ensemble`):
    /// `(1/M) Σ|x_i − y| − (1/(2M²)) ΣΣ|x_i − x_j|`.
    public static func crps(_ x: UnsafeBufferPointer<Double>, _ y: Double) -> Double {
        let m = Double(x.count)
        return meanAbsoluteError(x, y) - pairwiseAbsoluteDifference(x) / (m * m)
    }

    /// Fair CRPS (Ferro 2014; scores `method="fair"`): the pairwise term divided by `2M(M−1)` instead.
    /// Needs M ≥ 2.
    public static func fairCRPS(_ x: UnsafeBufferPointer<Double>, _ y: Double) -> Double {
        let m = Double(x.count)
        return meanAbsoluteError(x, y) - pairwiseAbsoluteDifference(x) / (m * (m - 1))
    }

    /// Threshold-weighted CRPS with the chaining function `v(x) = max(x, τ)` (Allen et al. 2023; the scores
    /// package's `tw_crps_for_ensemble`, "ecdf" estimator): the CRPS of the chained members and truth.
    /// `v` is non-decreasing, so the chained members stay sorted and the pairwise sum keeps its O(M) form.
    public static func thresholdWeightedCRPS(_ x: UnsafeBufferPointer<Double>, _ y: Double, threshold tau: Double) -> Double {
        let m = x.count
        let chainedTruth = max(y, tau)
        let origin = max(x[0], tau)
        var absolute = 0.0, pairwise = 0.0
        for i in 0..<m {
            let v = max(x[i], tau)
            absolute += abs(v - chainedTruth)
            pairwise += Double(2 * i + 1 - m) * (v - origin)
        }
        let count = Double(m)
        return absolute / count - pairwise / (count * count)
    }

    /// Outcome-weighted CRPS with the weight `w(z) = 1{z > τ}` (Holzmann & Klar 2017; Allen et al. 2023; HENS
    /// Part II), as scoringrules' `owcrps_ensemble` computes it:
    ///
    ///     owCRPS = w(y) [ (1/(M w̄)) Σ |x_i − y| w(x_i) − (1/(2 M² w̄²)) ΣΣ |x_i − x_j| w(x_i) w(x_j) ],  w̄ = K/M
    ///
    /// with K the members above τ: the CRPS of those K members where y > τ, 0 where y ≤ τ, and NaN where no
    /// member exceeds τ (w̄ = 0: the forecast puts no weight on the event; scoringrules' 0/0).
    public static func outcomeWeightedCRPS(_ x: UnsafeBufferPointer<Double>, _ y: Double, threshold tau: Double) -> Double {
        let notAbove = position(x, tau)
        let first = notAbove.below + notAbove.ties
        guard first < x.count else { return .nan }
        guard y > tau else { return 0 }
        return crps(UnsafeBufferPointer(rebasing: x[first...]), y)
    }

    /// numpy's `quantile(method="linear")`: position `h = (M − 1) q` between order statistics.
    public static func quantile(_ x: UnsafeBufferPointer<Double>, _ q: Double) -> Double {
        precondition(q >= 0 && q <= 1, "quantile level \(q) outside [0, 1]")
        let h = Double(x.count - 1) * q
        let lower = Int(h.rounded(.down))
        guard lower + 1 < x.count else { return x[x.count - 1] }
        let t = h - Double(lower)
        let (a, b) = (x[lower], x[lower + 1])
        // numpy's lerp: from the nearer end, so q = 1 − ε stays within [a, b]
        return t < 0.5 ? a + (b - a) * t : b - (b - a) * (1 - t)
    }

    /// Members strictly below y and members equal to y (binary searches).
    public static func position(_ x: UnsafeBufferPointer<Double>, _ y: Double) -> (below: Int, ties: Int) {
        func firstIndex(where predicate: (Double) -> Bool) -> Int {
            var (lo, hi) = (0, x.count)
            while lo < hi {
                let mid = (lo + hi) / 2
                if predicate(x[mid]) { hi = mid } else { lo = mid + 1 }
            }
            return lo
        }
        let below = firstIndex { $0 >= y }
        let notAbove = firstIndex { $0 > y }
        return (below, notAbove - below)
    }

    /// Whether y lies outside [x_(1), x_(M)].
    public static func isOutlier(_ x: UnsafeBufferPointer<Double>, _ y: Double) -> Bool {
        y < x[0] || y > x[x.count - 1]
    }
}
