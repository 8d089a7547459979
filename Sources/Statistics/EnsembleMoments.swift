/// Streaming ensemble mean and variance at every grid point, one member at a time, in float64.
///
/// Welford's update for each added member and Chan et al.'s pairwise merge for combining partial
/// results (other members on this rank, or other ranks: see `EnsembleMoments+Reduction.swift`):
///
///     n = n_a + n_b,  δ = x̄_b − x̄_a,  x̄ = x̄_a + δ n_b / n,  M2 = M2_a + M2_b + δ² n_a n_b / n
///
/// The sample variance is `M2 / (n − 1)` (ddof 1). Memory: two float64 arrays of `pointCount`,
/// whatever the number of members.
public struct EnsembleMoments: Sendable {
    /// Members accumulated so far (the same at every point).
    public private(set) var count: Int = 0
    /// Running mean, [point].
    public private(set) var mean: [Double]
    /// Running sum of squared deviations from the mean, [point].
    public private(set) var sumOfSquares: [Double]

    public var pointCount: Int { mean.count }

    public init(pointCount: Int) {
        mean = [Double](repeating: 0, count: pointCount)
        sumOfSquares = [Double](repeating: 0, count: pointCount)
    }

    /// Moments with the given state (a rank's partial result, a restart record).
    public init(count: Int, mean: [Double], sumOfSquares: [Double]) {
        precondition(mean.count == sumOfSquares.count, "EnsembleMoments: mean and sumOfSquares differ in length")
        precondition(count >= 0, "EnsembleMoments: negative count \(count)")
        self.count = count
        self.mean = mean
        self.sumOfSquares = sumOfSquares
    }

    /// Adds one member's field. - member: [point]
    public mutating func add(_ member: UnsafeBufferPointer<Float>) {
        precondition(member.count == pointCount, "EnsembleMoments.add: \(member.count) values for \(pointCount) points")
        count += 1
        let n = Double(count)
        mean.withUnsafeMutableBufferPointer { m in
            sumOfSquares.withUnsafeMutableBufferPointer { s in
                for p in 0..<m.count {
                    let x = Double(member[p])
                    let delta = x - m[p]
                    m[p] += delta / n
                    s[p] += delta * (x - m[p])
                }
            }
        }
    }

    public mutating func add(_ member: [Float]) { member.withUnsafeBufferPointer { add($0) } }

    /// Chan's pairwise merge with the moments of a disjoint set of members at the same points.
    public mutating func merge(_ other: EnsembleMoments) {
        precondition(other.pointCount == pointCount, "EnsembleMoments.merge: \(other.pointCount) points, not \(pointCount)")
        guard other.count > 0 else { return }
        guard count > 0 else { self = other; return }
        let na = Double(count), nb = Double(other.count), n = na + nb
        for p in 0..<pointCount {
            let delta = other.mean[p] - mean[p]
            mean[p] += delta * nb / n
            sumOfSquares[p] += other.sumOfSquares[p] + delta * delta * na * nb / n
        }
        count += other.count
    }

    /// Sample variance (ddof 1) at every point; NaN with fewer than two members.
    public var variance: [Double] {
        let d = Double(count - 1)
        return sumOfSquares.map { count > 1 ? max($0, 0) / d : .nan }
    }

    /// Sample standard deviation (ddof 1) at every point.
    public var standardDeviation: [Double] { variance.map { $0.squareRoot() } }
}
