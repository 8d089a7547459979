import COpenBLAS

/// Whether a GEMM operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none, transpose

    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Float and Double, each bound to its BLAS precision.
public protocol GEMMScalar: BinaryFloatingPoint & Sendable {
    static func gemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                     _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int32, _ b: UnsafePointer<Self>, _ ldb: Int32,
                     _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int32)
}

extension Float: GEMMScalar {
    public static func gemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                            _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int32, _ b: UnsafePointer<Float>,
                            _ ldb: Int32, _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int32) {
        cblas_sgemm(CblasRowMajor, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}

extension Double: GEMMScalar {
    public static func gemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                            _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int32, _ b: UnsafePointer<Double>,
                            _ ldb: Int32, _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int32) {
        cblas_dgemm(CblasRowMajor, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}

/// Row-major `C ← α · op(A) · op(B) + β · C`, with `op(A)` of shape `[m][k]`, `op(B)` `[k][n]`, `C` `[m][n]`.
///
/// - a: `[m][lda]` as stored when `transA == .none`, else `[k][lda]`
/// - b: `[k][ldb]` as stored when `transB == .none`, else `[n][ldb]`
/// - c: `[m][ldc]`
@inline(__always)
public func gemm<T: GEMMScalar>(_ transA: Transpose = .none, _ transB: Transpose = .none,
                                m: Int, n: Int, k: Int, alpha: T = 1,
                                a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int,
                                beta: T = 0, c: UnsafeMutablePointer<T>, ldc: Int) {
    precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative dimension m=\(m) n=\(n) k=\(k)")
    precondition(ldc >= max(1, n), "gemm: ldc \(ldc) < n \(n)")
    precondition(lda >= max(1, transA == .none ? k : m), "gemm: lda \(lda) too small")
    precondition(ldb >= max(1, transB == .none ? n : k), "gemm: ldb \(ldb) too small")
    guard m > 0 && n > 0 else { return }
    RankThreads.ensureSingleThreadedBLAS()
    T.gemm(transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
           beta, c, Int32(ldc))
}

/// OpenBLAS's build. It runs on one thread (`RankThreads`).
public enum BLASConfiguration {
    /// e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64".
    public static var configuration: String {
        openblas_get_config().map { String(cString: $0) } ?? myriad_openblas_version_string()
    }

    /// The CPU kernel OpenBLAS picked at run time, e.g. "Haswell".
    public static var coreName: String {
        openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    }
}

private func myriad_openblas_version_string() -> String {
    String(cString: myriad_openblas_version()).trimmingCharacters()
}

private extension String {
    func trimmingCharacters() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
