import Kernels
import Synchronization
import XCTest

/// The bf16 GEMM (oneDNN matmul, float32 accumulation): against a float64 product of the bfloat16-rounded
/// inputs (only float32 accumulation error allowed), and against the float32 GEMM of the unrounded inputs
/// (the error of rounding the inputs, which must show).
final class BFloat16GEMMTests: XCTestCase {
    func testRoundsToNearestEven() {
        XCTAssertEqual(bfloat16(1), 0x3F80)
        XCTAssertEqual(bfloat16(-2), 0xC000)
        // Halfway between 1 (even) and 1 + 2⁻⁷ (odd): to 1. Halfway between 1 + 2⁻⁷ and 1 + 2⁻⁶ (even): up.
        XCTAssertEqual(bfloat16(1 + 0x1p-8), 0x3F80)
        XCTAssertEqual(bfloat16(1 + 3 * 0x1p-8), 0x3F82)
        // Just above halfway: up.
        XCTAssertEqual(bfloat16(1 + 0x1p-8 + 0x1p-20), 0x3F81)
        XCTAssertTrue(float(bfloat16: bfloat16(.nan)).isNaN)
        XCTAssertEqual(float(bfloat16: bfloat16(.infinity)), .infinity)
        XCTAssertEqual(float(bfloat16: bfloat16(0.15625)), 0.15625)   // exact in bf16
    }

    func testMatchesFloat64ProductOfRoundedInputs() {
        for (m, n, k) in [(37, 29, 53), (64, 300, 620), (5, 1000, 1)] {
            for accumulate in [false, true] { check(m: m, n: n, k: k, accumulate: accumulate) }
        }
    }

    /// - error bound against float64 of the rounded inputs: float32 accumulation, `k · 2⁻²³ · Σ|a b|`
    /// - against sgemm of the unrounded inputs: at most `2⁻⁷ · Σ|a b|` (each input off by ≤ 2⁻⁸, bfloat16's
    ///   unit roundoff with its 8-bit significand), and the
    ///   largest error at least a tenth of the typical rounding (the inputs were really rounded)
    private func check(m: Int, n: Int, k: Int, accumulate: Bool) {
        var generator = SplitMix64(seed: UInt64(m * 1000 + n + k))
        let lda = k + 3, ldb = n + 5, ldc = n + 2
        let a = (0..<(m * lda)).map { _ in Float(generator.nextUnit() - 0.5) }
        let b = (0..<(k * ldb)).map { _ in Float(generator.nextUnit() - 0.5) }
        let c0 = (0..<(m * ldc)).map { _ in Float(generator.nextUnit() - 0.5) }
        let packed = bfloat16(a)
        var c = c0
        gemmBF16(m: m, n: n, k: k, a: packed, lda: lda, b: b, ldb: ldb, accumulate: accumulate, c: &c, ldc: ldc)
        var single = c0
        gemm(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: accumulate ? 1 : 0, c: &single, ldc: ldc)
        var largestRoundingError = 0.0, largestScale = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var exact = accumulate ? Double(c0[i * ldc + j]) : 0, scale = abs(exact)
                for p in 0..<k {
                    let ar = Double(float(bfloat16: packed[i * lda + p])), br = Double(float(bfloat16: bfloat16(b[p * ldb + j])))
                    exact += ar * br
                    scale += abs(ar * br)
                }
                let got = Double(c[i * ldc + j])
                XCTAssertEqual(got, exact, accuracy: Double(k + 1) * 0x1p-23 * scale, "\(m)×\(n)×\(k) (\(i), \(j))")
                let fp32 = Double(single[i * ldc + j])
                XCTAssertEqual(got, fp32, accuracy: 0x1p-7 * scale + Double(k + 1) * 0x1p-23 * scale,
                               "\(m)×\(n)×\(k) against sgemm (\(i), \(j))")
                largestRoundingError = max(largestRoundingError, abs(got - fp32))
                largestScale = max(largestScale, scale)
            }
        }
        XCTAssertGreaterThan(largestRoundingError, 0.1 * 0x1p-8 * largestScale / Double(max(1, k)).squareRoot(),
                             "\(m)×\(n)×\(k): no bfloat16 rounding visible")
        for i in 0..<m { for j in n..<ldc { XCTAssertEqual(c[i * ldc + j], c0[i * ldc + j], "padding of C written") } }
    }

    /// The same shape twice gives the same bits (primitives are cached per shape), and so do calls of
    /// different shapes from several threads at once (oneDNN's library-managed scratchpad is shared between
    /// primitives: each call brings its own).
    func testRepeatableAcrossCallsAndThreads() {
        var generator = SplitMix64(seed: 9)
        // The networks' shapes: tiles of a wider row (ldb, ldc > n), accumulating or not.
        let shapes = [(48, 200, 96), (96, 150, 48), (64, 333, 128), (32, 512, 256), (128, 1056, 64), (64, 1056, 128)]
        let inputs = shapes.map { m, n, k in
            (bfloat16((0..<(m * k)).map { _ in Float(generator.nextUnit() - 0.5) }),
             (0..<(k * 3 * n)).map { _ in Float(generator.nextUnit() - 0.5) })
        }
        @Sendable func run(_ s: Int) -> [Float] {
            let (m, n, k) = shapes[s]
            var c = [Float](repeating: 1, count: m * 2 * n)
            gemmBF16(m: m, n: n, k: k, a: inputs[s].0, lda: k, b: inputs[s].1, ldb: 3 * n, accumulate: s % 2 == 0,
                     c: &c, ldc: 2 * n)
            return c
        }
        let first = shapes.indices.map(run)
        XCTAssertEqual(shapes.indices.map(run), first)
        let mismatches = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 96) { i in
            if run(i % shapes.count) != first[i % shapes.count] { mismatches.withLock { $0 += 1 } }
        }
        XCTAssertEqual(mismatches.withLock { $0 }, 0, "concurrent calls differ from serial ones")
    }
}
