import Kernels

/// torch-harmonics' `nn.LayerNorm((nlat, nlon))`: per channel over the grid (biased variance), then an
/// affine map per grid point, `(y − mean) / √(var + eps) · weight[lat, lon] + bias[lat, lon]`.
public struct LayerNorm: Sendable {
    /// `[nlat · nlon]`
    public let weight: [Float]
    /// `[nlat · nlon]`
    public let bias: [Float]
    public let eps: Float

    public init(weight: [Float], bias: [Float], eps: Float) {
        precondition(weight.count == bias.count, "LayerNorm: weight and bias differ in length")
        self.weight = weight
        self.bias = bias
        self.eps = eps
    }

    /// - x: `[channels][points]`, points = `weight.count`, normalised in place
    public func apply(_ x: UnsafeMutablePointer<Float>, channels: Int) {
        let points = weight.count
        parallelRanges(channels, minimumPerThread: max(1, (1 << 15) / max(points, 1))) { range in
            for c in range {
                let row = x + c * points
                let (mean, scale) = normalisation(row, points: points, eps: eps)
                for p in 0..<points { row[p] = (row[p] - mean) * scale * weight[p] + bias[p] }
            }
        }
    }
}
