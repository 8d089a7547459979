/// WeatherBench2's energy score of one variable at one initial time (`EnergyScore` in WB2's metrics.py;
/// Gneiting & Raftery 2007): with the area-weighted L2 norm over the grid `‖z‖ = sqrt(Σ w z² / Σ w)`,
///
///     ES = (1/M) Σ_i ‖x_i − y‖ − ½ · (1/(M − 1)) Σ_{n<M} ‖x_n − x_{n+1}‖
///
/// the spread term E‖X − X′‖ estimated, as WB2 does, from the M − 1 pairs of members adjacent in
/// ensemble-index order (unbiased, O(M) rather than O(M²)). The norms need the sums over the whole grid
/// first, so only the sums add over slabs and ranks (the one sum-allreduce); a mean over initial times is a
/// mean of the per-time scores (WB2 averages its per-time values), not of an accumulated summary.
extension VerificationSummary {
    /// Adds the slab's per-member and adjacent-pair weighted squared differences.
    /// - members: [pointCount][memberCount], each point's members in ensemble-index order (the transpose's)
    public mutating func addEnergy(members: UnsafeBufferPointer<Float>, truth: UnsafeBufferPointer<Float>,
                                   pointWeights: UnsafeBufferPointer<Double>) {
        let m = memberCount
        precondition(members.count == truth.count * m && truth.count == pointWeights.count, "VerificationSummary.addEnergy: sizes differ")
        let base = energyOffset
        for p in 0..<truth.count {
            let w = pointWeights[p], y = Double(truth[p])
            let row = p * m
            for i in 0..<m {
                let error = Double(members[row + i]) - y
                sums[base + i] += w * error * error
            }
            for n in 0..<(m - 1) {
                let difference = Double(members[row + n]) - Double(members[row + n + 1])
                sums[base + m + n] += w * difference * difference
            }
        }
    }

    public var energyScore: Double {
        let m = memberCount
        let weight = sums[Index.weight.rawValue]
        var skill = 0.0, spread = 0.0
        for i in 0..<m { skill += (sums[energyOffset + i] / weight).squareRoot() }
        for n in 0..<(m - 1) { spread += (sums[energyOffset + m + n] / weight).squareRoot() }
        return skill / Double(m) - (m > 1 ? 0.5 * spread / Double(m - 1) : 0)
    }
}

extension VerificationSummary {
    /// The energy score of several variables of one initial time taken as one field: the squared norms add
    /// over the variables, `‖z‖² = Σ_v Σ w z_v² / Σ w` — each variable's area-weighted mean square, unscaled (a
    /// variable of large values dominates; scale the variables first for a balanced score). The summaries must
    /// be reduced and hold the same members.
    public static func jointEnergyScore(_ summaries: [VerificationSummary]) -> Double {
        guard let m = summaries.first?.memberCount, summaries.allSatisfy({ $0.memberCount == m }) else { return .nan }
        var skill = 0.0, spread = 0.0
        for i in 0..<(2 * m - 1) {
            var squared = 0.0
            for s in summaries { squared += s.sums[s.energyOffset + i] / s.sums[Index.weight.rawValue] }
            if i < m { skill += squared.squareRoot() } else { spread += squared.squareRoot() }
        }
        return skill / Double(m) - (m > 1 ? 0.5 * spread / Double(m - 1) : 0)
    }
}
