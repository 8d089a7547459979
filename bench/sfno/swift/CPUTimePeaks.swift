import Kernels

/// The GEMM peaks of one core in FLOP per CPU-second of the calling thread (Kernels' peaks on
/// `PeakClock.threadCPU`): OpenBLAS sgemm, oneDNN f32 or oneDNN bf16 (inputs already rounded, fp32
/// accumulation). The wall-clock peaks measure the load on a machine shared with other jobs, not the core; the
/// steps' CPU times are set against these.
enum CPUTimePeak: String, CaseIterable {
    case sgemm = "OpenBLAS sgemm", oneDNNF32 = "oneDNN f32", oneDNNBF16 = "oneDNN bf16"

    func measure(size n: Int = 4096, repeats: Int = 3) -> Double {
        switch self {
        case .sgemm: return measuredSGEMMPeak(size: n, repeats: repeats, clock: .threadCPU)
        case .oneDNNF32: return measuredOneDNNPeak(bf16: false, size: n, repeats: repeats, clock: .threadCPU)
        case .oneDNNBF16: return measuredOneDNNPeak(bf16: true, size: n, repeats: repeats, clock: .threadCPU)
        }
    }
}
