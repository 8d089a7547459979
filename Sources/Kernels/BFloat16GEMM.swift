import CDNNL
import Synchronization

/// The precision of the pointwise GEMMs (`compute.precision`, `--precision`).
///
/// - fp32: OpenBLAS `sgemm`, float32 throughout.
/// - bf16: weights rounded to bfloat16 once when loaded, the GEMM's other input rounded to bfloat16 per call,
///   products accumulated in float32 by oneDNN's matmul (AVX512-BF16 or AMX kernels where the CPU has them).
///   What stays float32 is the caller's: here only the GEMM changes.
public enum GEMMPrecision: String, Sendable, CaseIterable, Codable {
    case fp32, bf16
}

/// bfloat16 as stored: the upper 16 bits of a float32.
public typealias BFloat16Bits = UInt16

/// `x` rounded to the nearest bfloat16 (ties to even), as PyTorch and oneDNN round. NaN stays NaN (quiet).
@inline(__always)
public func bfloat16(_ x: Float) -> BFloat16Bits {
    let bits = x.bitPattern
    if x.isNaN { return BFloat16Bits(truncatingIfNeeded: bits >> 16) | 0x40 }
    let rounding: UInt32 = 0x7FFF + ((bits >> 16) & 1)
    return BFloat16Bits(truncatingIfNeeded: (bits &+ rounding) >> 16)
}

/// The float32 a bfloat16 stands for (exact).
@inline(__always)
public func float(bfloat16 b: BFloat16Bits) -> Float { Float(bitPattern: UInt32(b) << 16) }

/// `values` rounded to bfloat16, element by element.
public func bfloat16(_ values: [Float]) -> [BFloat16Bits] { values.map(bfloat16) }

/// `rows` rows of `columns` values, `stride` apart in `source`, rounded to bfloat16 into a dense
/// `[rows][columns]`.
@inline(__always)
func roundRows(_ source: UnsafePointer<Float>, rows: Int, columns: Int, stride: Int, into target: UnsafeMutablePointer<BFloat16Bits>) {
    for r in 0..<rows {
        let s = source + r * stride, t = target + r * columns
        for j in 0..<columns { t[j] = bfloat16(s[j]) }
    }
}

/// Row-major `C ← A · B (+ C)` with A `[m][k]` in bfloat16 (weights, converted once), B `[k][n]` in float32
/// rounded to bfloat16 here, and float32 accumulation into C `[m][ldc]` (overwritten, or added to when
/// `accumulate`). Runs on the calling thread only, as `gemm` does.
/// - a: `[m][lda]`; b: `[k][ldb]`, the first `n` of each row used
public func gemmBF16(m: Int, n: Int, k: Int, a: UnsafePointer<BFloat16Bits>, lda: Int,
                     b: UnsafePointer<Float>, ldb: Int, accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int) {
    precondition(m >= 0 && n >= 0 && k >= 0, "gemmBF16: negative dimension m=\(m) n=\(n) k=\(k)")
    precondition(lda >= max(1, k) && ldb >= max(1, n) && ldc >= max(1, n), "gemmBF16: leading dimension too small")
    guard m > 0 && n > 0 else { return }
    guard k > 0 else {
        if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
        return
    }
    withUnsafeTemporaryAllocation(of: BFloat16Bits.self, capacity: k * n) { rounded in
        roundRows(b, rows: k, columns: n, stride: ldb, into: rounded.baseAddress!)
        gemmBF16(m: m, n: n, k: k, a: a, lda: lda, b: UnsafePointer(rounded.baseAddress!), ldb: n,
                 accumulate: accumulate, c: c, ldc: ldc)
    }
}

/// `gemmBF16` with B already in bfloat16. - b: `[k][ldb]`
public func gemmBF16(m: Int, n: Int, k: Int, a: UnsafePointer<BFloat16Bits>, lda: Int,
                     b: UnsafePointer<BFloat16Bits>, ldb: Int, accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0 && n > 0 && k > 0 else { return }
    let plan = OneDNNMatmul.plan(.init(bf16: true, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc, accumulate: accumulate))
    OneDNNMatmul.execute(plan, a: UnsafeRawPointer(a), b: UnsafeRawPointer(b), c: c)
}

/// Row-major float32 `C ← A · B (+ C)` through oneDNN's matmul instead of OpenBLAS: for measuring which of
/// the two is faster (`sfno-benchmark`, `GEMMPeak`), not used by the networks.
public func gemmOneDNN(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                       accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0 && n > 0 && k > 0 else { return }
    let plan = OneDNNMatmul.plan(.init(bf16: false, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc, accumulate: accumulate))
    OneDNNMatmul.execute(plan, a: UnsafeRawPointer(a), b: UnsafeRawPointer(b), c: c)
}

/// oneDNN matmul primitives, created once per shape and kept for the life of the process (a network has a
/// few dozen shapes: its layers × the tile widths). Executing a primitive is thread-safe in oneDNN; each
/// thread runs on its own stream. Each primitive is created with OpenMP held to one thread and runs with the
/// caller's own scratchpad: created on a thread where OpenMP saw two cores, and with oneDNN's library-managed
/// scratchpad, two rank threads stepping the network at once gave wrong numbers in 1 test run of 6
/// (SFNOPrecisionTests); as here, in none of 10.
public enum OneDNNMatmul {
    struct Shape: Hashable {
        let bf16: Bool
        let m, n, k, lda, ldb, ldc: Int
        let accumulate: Bool
    }

    /// A created primitive (never freed: see above).
    final class Plan: @unchecked Sendable {
        let matmul: UnsafeMutablePointer<myriad_matmul>
        init(_ matmul: UnsafeMutablePointer<myriad_matmul>) { self.matmul = matmul }
        var implementation: String { String(cString: matmul.pointee.implementation) }
    }

    private static let plans = Mutex<[Shape: Plan]>([:])

    /// The CPU engine, one for the process (never released).
    nonisolated(unsafe) private static let engine: dnnl_engine_t = {
        var engine: dnnl_engine_t?
        let status = dnnl_engine_create(&engine, dnnl_cpu, 0)
        precondition(status == dnnl_success && engine != nil, "oneDNN could not create its CPU engine (status \(status.rawValue)); use compute.precision: fp32")
        return engine!
    }()

    static func plan(_ shape: Shape) -> Plan {
        plans.withLock { plans in
            if let plan = plans[shape] { return plan }
            let matmul = UnsafeMutablePointer<myriad_matmul>.allocate(capacity: 1)
            let status = myriad_matmul_create(matmul, engine, shape.bf16 ? 1 : 0, Int64(shape.m), Int64(shape.n), Int64(shape.k),
                                              0, Int64(shape.lda), 0, Int64(shape.ldb), Int64(shape.ldc),
                                              shape.accumulate ? 1 : 0)
            precondition(status == 0, """
                oneDNN could not create a \(shape.bf16 ? "bf16" : "f32") matmul \(shape.m)×\(shape.k) · \(shape.k)×\(shape.n) \
                (status \(status)); use compute.precision: fp32
                """)
            let plan = Plan(matmul)
            plans[shape] = plan
            return plan
        }
    }

    static func execute(_ plan: Plan, a: UnsafeRawPointer, b: UnsafeRawPointer, c: UnsafeMutablePointer<Float>) {
        let bytes = plan.matmul.pointee.scratchpad_bytes
        let status = withUnsafeTemporaryAllocation(byteCount: max(1, bytes), alignment: 64) { scratch in
            myriad_matmul_execute(plan.matmul, engine, a, b, c, bytes > 0 ? scratch.baseAddress : nil)
        }
        precondition(status == 0, "oneDNN matmul failed (status \(status)); use compute.precision: fp32")
    }

    /// Why bf16 matmuls cannot run here (oneDNN has no kernel for this CPU), or nil when they can: a small
    /// primitive is created and run once, so that a network fails when it is loaded rather than mid-run.
    public static var bf16Problem: String? {
        var matmul = myriad_matmul()
        let status = plans.withLock { _ in
            myriad_matmul_create(&matmul, engine, 1, 16, 16, 16, 0, 16, 0, 16, 16, 0)
        }
        guard status == 0 else { return "oneDNN (\(version)) has no bf16 matmul for this CPU (status \(status))" }
        dnnl_primitive_destroy(matmul.primitive)
        return nil
    }

    /// The kernel oneDNN picks for a bf16 (or f32) matmul of this shape, e.g. "brg:avx512_core_bf16".
    public static func implementation(bf16: Bool, m: Int, n: Int, k: Int) -> String {
        plan(.init(bf16: bf16, m: m, n: n, k: k, lda: k, ldb: n, ldc: n, accumulate: false)).implementation
    }

    /// e.g. "oneDNN 2.6.3".
    public static var version: String {
        let v = dnnl_version()!.pointee
        return "oneDNN \(v.major).\(v.minor).\(v.patch)"
    }
}
