import MPI

/// The number of members beyond `k` standard deviations of the ensemble mean at every point,
/// `|x_i − x̄| > k·s` (HENS's 4σ events). A second pass over the members once the moments are known;
/// add each member's counts with `countBeyond`, then sum-allreduce the [point] counts.
public struct SigmaExceedance: Sendable {
    public let k: Double
    /// [point]
    public private(set) var counts: [Double]

    public init(k: Double, pointCount: Int) {
        self.k = k
        counts = [Double](repeating: 0, count: pointCount)
    }

    /// Counts one member against the reduced moments.
    public mutating func add(_ member: UnsafeBufferPointer<Float>, mean: [Double], standardDeviation: [Double]) {
        precondition(member.count == counts.count && mean.count == counts.count && standardDeviation.count == counts.count,
                     "SigmaExceedance.add: sizes differ")
        for p in 0..<counts.count where abs(Double(member[p]) - mean[p]) > k * standardDeviation[p] { counts[p] += 1 }
    }

    /// All ranks' counts, on every rank.
    public func reduced(over communicator: Communicator) throws -> SigmaExceedance {
        var result = self
        if communicator.size > 1 { result.counts = try communicator.allreduced(counts, .sum) }
        return result
    }
}
