import ComplexModule
import COpenBLAS
import RealModule

/// Row-major single-precision complex `C ← op(A) · op(B) + β · C` (OpenBLAS `cblas_cgemm`, α = 1), with
/// `op(A)` of shape `[m][k]`, `op(B)` `[k][n]`, `C` `[m][n]`; `β` is 0 or 1.
///
/// - a: `[m][lda]` as stored when `transA == .none`, else `[k][lda]`
/// - b: `[k][ldb]` as stored when `transB == .none`, else `[n][ldb]`
/// - c: `[m][ldc]`
public func complexGEMM(_ transA: Transpose = .none, _ transB: Transpose = .none, m: Int, n: Int, k: Int,
                        a: UnsafePointer<Complex<Float>>, lda: Int, b: UnsafePointer<Complex<Float>>, ldb: Int,
                        accumulate: Bool = false, c: UnsafeMutablePointer<Complex<Float>>, ldc: Int) {
    precondition(m >= 0 && n >= 0 && k >= 0, "complexGEMM: negative dimension m=\(m) n=\(n) k=\(k)")
    precondition(ldc >= max(1, n), "complexGEMM: ldc \(ldc) < n \(n)")
    precondition(lda >= max(1, transA == .none ? k : m), "complexGEMM: lda \(lda) too small")
    precondition(ldb >= max(1, transB == .none ? n : k), "complexGEMM: ldb \(ldb) too small")
    guard m > 0 && n > 0 else { return }
    RankThreads.ensureSingleThreadedBLAS()
    var alpha = Complex<Float>(1, 0)
    var beta = Complex<Float>(accumulate ? 1 : 0, 0)
    cblas_cgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k), &alpha, a, Int32(lda),
                b, Int32(ldb), &beta, c, Int32(ldc))
}
