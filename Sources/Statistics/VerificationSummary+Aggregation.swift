extension VerificationSummary {
    /// Adds the sums of another summary over disjoint cases (another initial time) into this one, before the
    /// means are taken: weighted sums, Brier and reliability sums add; rank bins add from 0, so a summary of
    /// fewer members (left-out members) fills only its own M + 1 bins. `memberCount` of this one must be the
    /// largest.
    mutating func accumulate(_ other: VerificationSummary) {
        precondition(other.thresholdCount == thresholdCount && other.memberCount <= memberCount,
                     "VerificationSummary.accumulate: \(other.memberCount) members / \(other.thresholdCount) thresholds into \(memberCount) / \(thresholdCount)")
        let fixed = sums.count - (memberCount + 1)
        for i in 0..<fixed { sums[i] += other.sums[i] }
        for r in 0...other.memberCount { sums[fixed + r] += other.sums[fixed + r] }
    }

    /// Points verified (the weight sum is positive once any point was added).
    var isEmpty: Bool { sums[Index.weight.rawValue] == 0 }
}
