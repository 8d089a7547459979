import Foundation

/// What a measured GEMM peak is timed by.
public enum PeakClock: Sendable {
    /// Wall-clock time: what the rank's threads deliver together, as the steps measure it.
    case wall
    /// CPU time of the calling thread: the core's rate, not the load of a machine shared with other jobs.
    /// Only meaningful with one rank thread (the others' work would not be counted), which it requires.
    case threadCPU

    /// Seconds on this clock (the origin is arbitrary: only differences mean something).
    func now() -> Double {
        switch self {
        case .wall:
            return Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        case .threadCPU:
            precondition(RankThreads.count == 1, "a thread-CPU-time peak needs one rank thread, not \(RankThreads.count)")
            var t = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
        }
    }
}

/// The machine's float32 GEMM rate with the linked BLAS and the rank's threads, in FLOP/s: the best of
/// `repeats` products of two `size × size` matrices, the columns shared out over the rank's threads
/// (`RankThreads`; OpenBLAS itself runs single-threaded) as OpenBLAS's own threads would split them.
/// Benchmarks report their rates as a share of it, measured in the same run, so that a noisy machine does not
/// skew the share.
public func measuredSGEMMPeak(size n: Int = 4096, repeats: Int = 3, clock: PeakClock = .wall) -> Double {
    // Values in [−1, 1): the rate does not depend on them, only subnormals would slow it.
    let a = (0..<(n * n)).map { Float(($0 * 7919) % 2001 - 1000) / 1000 }
    let b = (0..<(n * n)).map { Float(($0 * 104_729) % 2001 - 1000) / 1000 }
    var c = [Float](repeating: 0, count: n * n)
    var peak = 0.0
    for _ in 0..<repeats {
        let start = clock.now()
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer { c in
            shareTiles(n, tile: (n + RankThreads.count - 1) / RankThreads.count) { columns, _ in
                gemm(m: n, n: columns.count, k: n, a: a.baseAddress!, lda: n, b: b.baseAddress! + columns.lowerBound, ldb: n,
                     c: c.baseAddress! + columns.lowerBound, ldc: n)
            }
        } } }
        let seconds = clock.now() - start
        peak = max(peak, 2 * pow(Double(n), 3) / seconds)
    }
    return peak
}

/// `measuredSGEMMPeak` through oneDNN's matmul instead: float32 (`bf16: false`), or bfloat16 inputs (already
/// rounded, as a network's weights are) with float32 accumulation. Same shapes, threads and count of flops.
public func measuredOneDNNPeak(bf16: Bool, size n: Int = 4096, repeats: Int = 3, clock: PeakClock = .wall) -> Double {
    let a = (0..<(n * n)).map { Float(($0 * 7919) % 2001 - 1000) / 1000 }
    let b = (0..<(n * n)).map { Float(($0 * 104_729) % 2001 - 1000) / 1000 }
    let a16 = bfloat16(a), b16 = bfloat16(b)
    var c = [Float](repeating: 0, count: n * n)
    var peak = 0.0
    for _ in 0..<repeats {
        let start = clock.now()
        c.withUnsafeMutableBufferPointer { c in
            shareTiles(n, tile: (n + RankThreads.count - 1) / RankThreads.count) { columns, _ in
                let out = c.baseAddress! + columns.lowerBound
                if bf16 {
                    a16.withUnsafeBufferPointer { a in b16.withUnsafeBufferPointer { b in
                        gemmBF16(m: n, n: columns.count, k: n, a: a.baseAddress!, lda: n, b: b.baseAddress! + columns.lowerBound,
                                 ldb: n, accumulate: false, c: out, ldc: n)
                    } }
                } else {
                    a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in
                        gemmOneDNN(m: n, n: columns.count, k: n, a: a.baseAddress!, lda: n, b: b.baseAddress! + columns.lowerBound,
                                   ldb: n, accumulate: false, c: out, ldc: n)
                    } }
                }
            }
        }
        let seconds = clock.now() - start
        peak = max(peak, 2 * pow(Double(n), 3) / seconds)
    }
    return peak
}
