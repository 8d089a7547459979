import MPI

extension EnsembleMoments {
    /// The moments of all members on all ranks of `communicator` (each rank holds disjoint members),
    /// on every rank. Chan's merge of any number of parts, as two float64 sum-allreduces of `pointCount`:
    ///
    ///     x̄ = Σ_r n_r x̄_r / n,   M2 = Σ_r (M2_r + n_r (x̄_r − x̄)²)
    ///
    /// Memory: O(pointCount), whatever the member or rank count. The sums' order is MPI's, so results
    /// at different rank counts agree to float64 round-off (not bit for bit). On one rank: unchanged.
    public func reduced(over communicator: Communicator) throws -> EnsembleMoments {
        guard communicator.size > 1 else { return self }
        let total = try communicator.allreduced(Int64(count), .sum)
        guard total > 0 else { return EnsembleMoments(pointCount: pointCount) }
        let n = Double(total)
        let mine = Double(count)
        var globalMean = mean.map { $0 * mine / n }
        try communicator.allreduce(&globalMean, .sum)
        var squares = [Double](repeating: 0, count: pointCount)
        if count > 0 {
            for p in 0..<pointCount {
                let delta = mean[p] - globalMean[p]
                squares[p] = sumOfSquares[p] + mine * delta * delta
            }
        }
        try communicator.allreduce(&squares, .sum)
        return EnsembleMoments(count: Int(total), mean: globalMean, sumOfSquares: squares)
    }
}
