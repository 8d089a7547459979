extension VerificationSummary {
    /// Adds the sums of another summary over disjoint cases (another initial time) into this one, before the
    /// means are taken: weighted sums, Brier and reliability sums add; rank bins add from 0, so a summary of
    /// fewer members (left-out members) fills only its own M + 1 bins; ROC counts map onto this one's
    /// probability levels (`accumulateROC`); the energy score's sums become NaN (it is a mean over times of
    /// per-time scores). `memberCount` of this one must be the largest.
    public mutating func accumulate(_ other: VerificationSummary) {
        precondition(other.thresholdCount == thresholdCount && other.memberCount <= memberCount,
                     "VerificationSummary.accumulate: \(other.memberCount) members / \(other.thresholdCount) thresholds into \(memberCount) / \(thresholdCount)")
        for i in 0..<rankOffset { sums[i] += other.sums[i] }
        for r in 0...other.memberCount { sums[rankOffset + r] += other.sums[other.rankOffset + r] }
        accumulateROC(other)
        // The energy score is per initial time (square roots of sums do not add): none for the aggregate.
        for i in energyOffset..<sums.count { sums[i] = .nan }
    }

    /// Points verified (the weight sum is positive once any point was added).
    var isEmpty: Bool { sums[Index.weight.rawValue] == 0 }
}
