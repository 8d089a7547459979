import Foundation
import Kernels

/// The GEMM peaks of one core in FLOP per CPU-second of the calling thread: the best of `repeats` products of
/// two `size × size` matrices through OpenBLAS sgemm, oneDNN f32 or oneDNN bf16 (inputs already rounded, fp32
/// accumulation). Kernels' `measuredSGEMMPeak` / `measuredOneDNNPeak` time the wall clock, which on a machine
/// shared with other jobs measures the load, not the core; the steps' CPU times are set against these.
enum CPUTimePeak: String, CaseIterable {
    case sgemm = "OpenBLAS sgemm", oneDNNF32 = "oneDNN f32", oneDNNBF16 = "oneDNN bf16"

    func measure(size n: Int = 4096, repeats: Int = 3) -> Double {
        let a = (0..<(n * n)).map { Float(($0 * 7919) % 2001 - 1000) / 1000 }
        let b = (0..<(n * n)).map { Float(($0 * 104_729) % 2001 - 1000) / 1000 }
        let a16 = bfloat16(a), b16 = bfloat16(b)
        var c = [Float](repeating: 0, count: n * n)
        var peak = 0.0
        for _ in 0..<repeats {
            let start = threadCPUSeconds()
            c.withUnsafeMutableBufferPointer { c in
                switch self {
                case .sgemm:
                    a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in
                        gemm(m: n, n: n, k: n, a: a.baseAddress!, lda: n, b: b.baseAddress!, ldb: n, c: c.baseAddress!, ldc: n)
                    } }
                case .oneDNNF32:
                    a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in
                        gemmOneDNN(m: n, n: n, k: n, a: a.baseAddress!, lda: n, b: b.baseAddress!, ldb: n, accumulate: false,
                                   c: c.baseAddress!, ldc: n)
                    } }
                case .oneDNNBF16:
                    a16.withUnsafeBufferPointer { a in b16.withUnsafeBufferPointer { b in
                        gemmBF16(m: n, n: n, k: n, a: a.baseAddress!, lda: n, b: b.baseAddress!, ldb: n, accumulate: false,
                                 c: c.baseAddress!, ldc: n)
                    } }
                }
            }
            peak = max(peak, 2 * pow(Double(n), 3) / (threadCPUSeconds() - start))
        }
        return peak
    }
}

/// CPU seconds of the calling thread.
func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
