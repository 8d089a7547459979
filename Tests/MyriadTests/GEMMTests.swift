import Kernels
import XCTest

/// OpenBLAS GEMM through the Swift wrapper against a naive triple loop in double precision.
final class GEMMTests: XCTestCase {
    func testFloatAllTransposes() { check(Float.self, tolerance: 1e-5) }
    func testDoubleAllTransposes() { check(Double.self, tolerance: 1e-13) }

    private func check<T: GEMMScalar>(_ type: T.Type, tolerance: Double) {
        var generator = SplitMix64(seed: 5)
        let (m, n, k) = (37, 29, 53)
        for transA in [Transpose.none, .transpose] {
            for transB in [Transpose.none, .transpose] {
                // Stored shapes, with padded leading dimensions.
                let (aRows, aCols) = transA == .none ? (m, k) : (k, m)
                let (bRows, bCols) = transB == .none ? (k, n) : (n, k)
                let lda = aCols + 3, ldb = bCols + 1, ldc = n + 2
                let a = (0..<(aRows * lda)).map { _ in T(generator.nextUnit() - 0.5) }
                let b = (0..<(bRows * ldb)).map { _ in T(generator.nextUnit() - 0.5) }
                var c = (0..<(m * ldc)).map { _ in T(generator.nextUnit() - 0.5) }
                let c0 = c
                let alpha: T = 0.75, beta: T = -0.5
                gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                     beta: beta, c: &c, ldc: ldc)
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = 0.0
                        for p in 0..<k {
                            let aip = transA == .none ? a[i * lda + p] : a[p * lda + i]
                            let bpj = transB == .none ? b[p * ldb + j] : b[j * ldb + p]
                            sum += Double(aip) * Double(bpj)
                        }
                        let expected = Double(alpha) * sum + Double(beta) * Double(c0[i * ldc + j])
                        XCTAssertEqual(Double(c[i * ldc + j]), expected, accuracy: tolerance * Double(k),
                                       "\(transA) \(transB) (\(i), \(j))")
                    }
                }
                // Padding columns of C are untouched.
                for i in 0..<m { for j in n..<ldc { XCTAssertEqual(c[i * ldc + j], c0[i * ldc + j]) } }
            }
        }
    }
}
