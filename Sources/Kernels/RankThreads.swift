import COpenBLAS
import Synchronization

/// The threads of this rank (`--threads`; else OPENBLAS_NUM_THREADS as OpenBLAS read it at start; else 1).
///
/// Myriad runs its own parallel loops over independent pieces of work — tiles of grid points, orders of the
/// Legendre stage, degrees of the spectral filter, ranges of pointwise layers — and every GEMM inside them is
/// single-threaded: OpenBLAS is put on one thread for good the first time this count or a GEMM is used.
/// Three measurements decided it:
/// - OpenBLAS's workers spin in `sched_yield` between the many mid-sized GEMMs of a step, beside our own
///   threaded loops on the same cores (a fifth of the samples of a two-thread SFNO step);
/// - its thread count is process-wide, so it cannot be lowered for one caller without disturbing the GEMMs
///   of another thread (a model stepped from several threads at once);
/// - it splits a GEMM's columns by its thread count, and a column's rounding depends on where it falls in a
///   call. The pieces here do not depend on the thread count, so neither do the results.
public enum RankThreads {
    public static var count: Int {
        get { state.load(ordering: .relaxed) }
        set { state.store(max(1, newValue), ordering: .relaxed) }
    }

    private static let state: Atomic<Int> = {
        let initial = Int(openblas_get_num_threads())
        openblas_set_num_threads(1)
        return Atomic(max(1, initial))
    }()

    /// Puts OpenBLAS on one thread if nothing has yet (cheap after the first call).
    @inline(__always)
    static func ensureSingleThreadedBLAS() { _ = state.load(ordering: .relaxed) }
}
