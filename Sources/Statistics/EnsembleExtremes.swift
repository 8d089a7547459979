/// Streaming minimum, maximum and threshold-exceedance counts of an ensemble at every grid point.
/// Memory: `(2 + thresholds) × pointCount` values, whatever the number of members.
public struct EnsembleExtremes: Sendable {
    /// Exceedance thresholds τ; the event is `value > τ` (strictly).
    public let thresholds: [Double]
    public private(set) var count: Int = 0
    /// [point]; +∞ before the first member.
    public private(set) var minimum: [Float]
    /// [point]; −∞ before the first member.
    public private(set) var maximum: [Float]
    /// Members above each threshold, [threshold][point] flattened.
    public private(set) var exceedanceCounts: [Double]

    public var pointCount: Int { minimum.count }

    public init(pointCount: Int, thresholds: [Double] = []) {
        self.thresholds = thresholds
        minimum = [Float](repeating: .infinity, count: pointCount)
        maximum = [Float](repeating: -.infinity, count: pointCount)
        exceedanceCounts = [Double](repeating: 0, count: thresholds.count * pointCount)
    }

    init(thresholds: [Double], count: Int, minimum: [Float], maximum: [Float], exceedanceCounts: [Double]) {
        self.thresholds = thresholds
        self.count = count
        self.minimum = minimum
        self.maximum = maximum
        self.exceedanceCounts = exceedanceCounts
    }

    /// Adds one member's field. - member: [point]
    public mutating func add(_ member: UnsafeBufferPointer<Float>) {
        precondition(member.count == pointCount, "EnsembleExtremes.add: \(member.count) values for \(pointCount) points")
        count += 1
        for p in 0..<pointCount {
            minimum[p] = min(minimum[p], member[p])
            maximum[p] = max(maximum[p], member[p])
        }
        for (k, tau) in thresholds.enumerated() {
            let base = k * pointCount
            for p in 0..<pointCount where Double(member[p]) > tau { exceedanceCounts[base + p] += 1 }
        }
    }

    public mutating func add(_ member: [Float]) { member.withUnsafeBufferPointer { add($0) } }

    /// Exceedance probabilities `count(x > τ) / M`, [threshold][point] flattened.
    public var exceedanceProbabilities: [Double] {
        let m = Double(count)
        return exceedanceCounts.map { $0 / m }
    }
}
