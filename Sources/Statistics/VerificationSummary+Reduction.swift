import MPI

extension VerificationSummary {
    /// All ranks' sums (disjoint points), on every rank: one float64 sum-allreduce. Counts stay exact;
    /// weighted sums agree across rank counts to float64 round-off.
    public func reduced(over communicator: Communicator) throws -> VerificationSummary {
        guard communicator.size > 1 else { return self }
        var result = self
        result.sums = try communicator.allreduced(sums, .sum)
        return result
    }
}
