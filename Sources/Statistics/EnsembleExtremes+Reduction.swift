import MPI

extension EnsembleExtremes {
    /// The extremes and exceedance counts of all members on all ranks, on every rank: a min-, a max-
    /// and a sum-allreduce. Exact (counts are integers held in float64, exact below 2⁵³).
    public func reduced(over communicator: Communicator) throws -> EnsembleExtremes {
        guard communicator.size > 1 else { return self }
        return EnsembleExtremes(thresholds: thresholds,
                                count: Int(try communicator.allreduced(Int64(count), .sum)),
                                minimum: try communicator.allreduced(minimum, .min),
                                maximum: try communicator.allreduced(maximum, .max),
                                exceedanceCounts: try communicator.allreduced(exceedanceCounts, .sum))
    }
}
