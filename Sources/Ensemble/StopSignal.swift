import Foundation

/// SIGTERM and SIGUSR1 ask a run to stop cleanly: finish the current step, write the restart record and
/// exit with `StopSignal.exitCode`, so a batch system (`srun --signal=USR1@300`, a time limit's SIGTERM)
/// can requeue the job and `myriad run CONFIG --resume` carries on. The handler only sets a flag; the
/// runner reads it between steps and the ranks agree on it with one reduction.
public enum StopSignal {
    /// The exit status of a run stopped by a signal with its restart record written (the Slurm habit of
    /// a distinct "requeue me" code).
    public static let exitCode: Int32 = 85

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

/// Set from the signal handler: a plain word store is async-signal-safe.
nonisolated(unsafe) private var stopRequested: Int32 = 0

private func stopSignalHandler(_ signal: Int32) {
    stopRequested = signal
}
