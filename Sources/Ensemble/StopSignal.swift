import Foundation

/// SIGUSR1 and SIGTERM ask a run to stop cleanly: finish the current step, write the restart record and
/// exit, so that `myriad run CONFIG --resume` carries on. The exit status says which it was, because a batch
/// script must tell the time-limit warning (`--signal=USR1@T`: requeue me) from a cancel (`scancel` sends
/// SIGTERM: do not). The handler only records the signal; the runner reads it between steps and the ranks
/// agree on stopping with one reduction.
public enum StopSignal {
    /// A run stopped by SIGUSR1 (or `MYRIAD_STOP_AFTER_STEP`) with its restart record written: the Slurm
    /// habit of a distinct "requeue me" code.
    public static let requeueExitCode: Int32 = 85

    /// A run stopped by SIGTERM with its restart record written: 128 + SIGTERM, what a batch system expects
    /// of a terminated job, so that nothing requeues it.
    public static let terminatedExitCode: Int32 = 128 + SIGTERM

    /// This rank's exit status after a stop: `terminatedExitCode` when SIGTERM asked for it and SIGUSR1 did
    /// not, else `requeueExitCode` (a SIGTERM after SIGUSR1 leaves 85: cluster/myriad-job.sh, whose batch
    /// shell sees a cancel's SIGTERM itself, then does not requeue).
    public static var exitCode: Int32 { stopRequested == SIGTERM ? terminatedExitCode : requeueExitCode }

    /// Installs the handlers (idempotent).
    public static func install() {
        signal(SIGTERM, stopSignalHandler)
        signal(SIGUSR1, stopSignalHandler)
    }

    /// Whether a stop was asked on this rank (by a signal, or after step `MYRIAD_STOP_AFTER_STEP`, the
    /// tests' deterministic stand-in for a signal).
    public static func isRequested(afterStep step: Int) -> Bool {
        stopRequested != 0 || stopAfterStep == step
    }

    private static let stopAfterStep: Int? = ProcessInfo.processInfo.environment["MYRIAD_STOP_AFTER_STEP"].flatMap(Int.init)
}

/// Set from the signal handler: a plain word store is async-signal-safe. SIGUSR1, once seen, is kept.
nonisolated(unsafe) private var stopRequested: Int32 = 0

private func stopSignalHandler(_ signal: Int32) {
    if stopRequested != SIGUSR1 { stopRequested = signal }
}
