import Kernels

/// Instance normalisation (`nn.InstanceNorm2d(affine=True)`): per channel over all grid points,
/// `(y − mean) / √(var + eps) · weight[c] + bias[c]` with the **biased** variance, no area weighting.
public struct InstanceNorm: Sendable {
    /// `[channels]`
    public let weight: [Float]
    /// `[channels]`
    public let bias: [Float]
    public let eps: Float

    public init(weight: [Float], bias: [Float], eps: Float) {
        precondition(weight.count == bias.count, "InstanceNorm: weight and bias differ in length")
        self.weight = weight
        self.bias = bias
        self.eps = eps
    }

    /// - x: `[channels][points]`, normalised in place (threaded over channels)
    public func apply(_ x: UnsafeMutablePointer<Float>, points: Int) {
        parallelRanges(weight.count, minimumPerThread: max(1, (1 << 15) / max(points, 1))) { channels in
            for c in channels { normalise(x, channel: c, points: points) }
        }
    }

    private func normalise(_ x: UnsafeMutablePointer<Float>, channel c: Int, points: Int) {
        let row = x + c * points
        let (mean, scale) = normalisation(row, points: points, eps: eps)
        let a = scale * weight[c]
        let b = bias[c]
        for p in 0..<points { row[p] = (row[p] - mean) * a + b }
    }
}

/// Mean and `1/√(biased variance + eps)` of `points` values (accumulated in Double).
func normalisation(_ row: UnsafePointer<Float>, points: Int, eps: Float) -> (mean: Float, scale: Float) {
    let (mean, squares) = meanAndSquares(row, points: points)
    let variance = squares / Double(points)
    return (Float(mean), Float(1 / (variance + Double(eps)).squareRoot()))
}

/// Mean and sum of squared deviations (M2) of `points` values, two passes in Double: the serial norms use
/// them directly, the distributed ones merge them over ranks.
func meanAndSquares(_ row: UnsafePointer<Float>, points: Int) -> (mean: Double, squares: Double) {
    var sum = 0.0
    for p in 0..<points { sum += Double(row[p]) }
    let mean = sum / Double(points)
    var squares = 0.0
    for p in 0..<points {
        let d = Double(row[p]) - mean
        squares += d * d
    }
    return (mean, squares)
}
