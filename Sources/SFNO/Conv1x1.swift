import Kernels

/// A 1×1 convolution, `y[o, p] = Σ_i W[o, i] x[i, p] (+ b[o])`: one GEMM `W[out][in] · X[in][points]`.
public struct Conv1x1: Sendable {
    /// `[outChannels][inChannels]`, row-major (PyTorch's `[out, in, 1, 1]` as stored).
    public let weight: [Float]
    /// `[outChannels]`, or nil for a convolution without bias.
    public let bias: [Float]?
    public let inChannels: Int
    public let outChannels: Int

    public init(weight: [Float], bias: [Float]?, outChannels: Int, inChannels: Int) {
        precondition(weight.count == outChannels * inChannels,
                     "Conv1x1: weight holds \(weight.count) values, expected \(outChannels) × \(inChannels)")
        precondition(bias == nil || bias!.count == outChannels, "Conv1x1: bias must hold \(outChannels) values")
        self.weight = weight
        self.bias = bias
        self.inChannels = inChannels
        self.outChannels = outChannels
    }

    /// - x: `[inChannels][xStride]`, the first `points` of each row used (`xStride` default `points`)
    /// - y: `[outChannels][yStride]`, the first `points` of each row overwritten, or added to when
    ///   `accumulate` is true
    public func apply(_ x: UnsafePointer<Float>, points: Int, into y: UnsafeMutablePointer<Float>,
                      accumulate: Bool = false, xStride: Int? = nil, yStride: Int? = nil) {
        let ldx = xStride ?? points, ldy = yStride ?? points
        var beta: Float = accumulate ? 1 : 0
        if let bias {
            for o in 0..<outChannels {
                let row = y + o * ldy
                if accumulate {
                    for p in 0..<points { row[p] += bias[o] }
                } else {
                    row.update(repeating: bias[o], count: points)
                }
            }
            beta = 1
        }
        weight.withUnsafeBufferPointer { w in
            gemm(m: outChannels, n: points, k: inChannels, a: w.baseAddress!, lda: inChannels,
                 b: x, ldb: ldx, beta: beta, c: y, ldc: ldy)
        }
    }

    /// `apply` tile by tile of `tile` points, the tiles shared out over the rank's threads. OpenBLAS rounds a
    /// point differently depending on where it falls in a call: the tiles are the calls a model-parallel rank
    /// shares with the serial network (`Workspace.tileRows`) and that do not depend on the thread count.
    /// - x: `[inChannels][points]`; y: `[outChannels][points]`, overwritten or added to
    public func apply(_ x: UnsafePointer<Float>, points: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false,
                      tile: Int) {
        shareTiles(points, tile: tile) { range, _ in
            apply(x + range.lowerBound, points: range.count, into: y + range.lowerBound, accumulate: accumulate,
                  xStride: points, yStride: points)
        }
    }

    /// - x: `[inChannels][points]`; returns `[outChannels][points]`
    public func callAsFunction(_ x: [Float], points: Int) -> [Float] {
        precondition(x.count == inChannels * points, "Conv1x1: input holds \(x.count), expected \(inChannels) × \(points)")
        return [Float](unsafeUninitializedCapacity: outChannels * points) { y, n in
            x.withUnsafeBufferPointer { apply($0.baseAddress!, points: points, into: y.baseAddress!) }
            n = outChannels * points
        }
    }
}
