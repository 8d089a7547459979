/// What to compute besides the fixed scores: thresholds for exceedance, Brier and reliability, quantile
/// levels, the k of the "beyond ±kσ" count, and the seed of the rank tie-breaking.
public struct ScoreConfiguration: Sendable {
    /// Events are `value > τ` (strictly).
    public var thresholds: [Double]
    /// In [0, 1]; numpy's "linear" interpolation.
    public var quantileLevels: [Double]
    public var kSigma: Double
    public var seed: UInt64

    public init(thresholds: [Double] = [], quantileLevels: [Double] = [], kSigma: Double = 4, seed: UInt64 = 0) {
        precondition(quantileLevels.allSatisfy { $0 >= 0 && $0 <= 1 }, "quantile levels must lie in [0, 1]: \(quantileLevels)")
        self.thresholds = thresholds
        self.quantileLevels = quantileLevels
        self.kSigma = kSigma
        self.seed = seed
    }

    /// Reliability-table bins: 11, centred on 0, 0.1, …, 1.
    public static let reliabilityBinCount = 11

    /// The bin of forecast probability `j / M`: `⌊10 j/M + 1/2⌋` (round half up), in exact integers.
    public static func reliabilityBin(exceeding j: Int, of m: Int) -> Int { (20 * j + m) / (2 * m) }
}
