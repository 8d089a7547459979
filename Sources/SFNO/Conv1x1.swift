import Kernels

/// A 1×1 convolution, `y[o, p] = Σ_i W[o, i] x[i, p] (+ b[o])`: one GEMM `W[out][in] · X[in][points]`.
///
/// In `.bf16` the weight is rounded to bfloat16 once, here, and each `apply` rounds its input to bfloat16 and
/// accumulates in float32 (`gemmBF16`); the bias and the output stay float32.
public struct Conv1x1: Sendable {
    /// `[outChannels][inChannels]`, row-major (PyTorch's `[out, in, 1, 1]` as stored); in `.bf16` the
    /// bfloat16-rounded values the GEMM uses.
    public let weight: [Float]
    /// `weight` as bfloat16, in `.bf16` only.
    let packedWeight: [BFloat16Bits]?
    public let precision: GEMMPrecision
    /// `[outChannels]`, or nil for a convolution without bias.
    public let bias: [Float]?
    public let inChannels: Int
    public let outChannels: Int

    public init(weight: [Float], bias: [Float]?, outChannels: Int, inChannels: Int, precision: GEMMPrecision = .fp32) {
        precondition(weight.count == outChannels * inChannels,
                     "Conv1x1: weight holds \(weight.count) values, expected \(outChannels) × \(inChannels)")
        precondition(bias == nil || bias!.count == outChannels, "Conv1x1: bias must hold \(outChannels) values")
        self.precision = precision
        switch precision {
        case .fp32:
            self.weight = weight
            packedWeight = nil
        case .bf16:
            let packed = bfloat16(weight)
            self.weight = packed.map { float(bfloat16: $0) }
            packedWeight = packed
        }
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
        if let packedWeight {
            packedWeight.withUnsafeBufferPointer { w in
                gemmBF16(m: outChannels, n: points, k: inChannels, a: w.baseAddress!, lda: inChannels,
                         b: x, ldb: ldx, accumulate: beta != 0, c: y, ldc: ldy)
            }
            return
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
