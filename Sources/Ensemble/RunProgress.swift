import Foundation

/// Progress of a run on rank 0: members done of total, step, member-steps per second, ETA and output
/// written — a live line when standard error is a terminal, a log line every `interval` seconds otherwise
/// (Slurm logs).
final class RunProgress {
    private let totalMemberSteps: Int
    private let interval: Double
    private let isTerminal: Bool
    private let start = Date()
    private var lastLine = Date.distantPast
    private let write: (String) -> Void
    private let doneBefore: Int

    /// - doneBefore: member-steps already done by an earlier part of a resumed run (not counted in the rate).
    init(totalMemberSteps: Int, doneBefore: Int, interval: Double, write: @escaping (String) -> Void) {
        self.totalMemberSteps = totalMemberSteps
        self.doneBefore = doneBefore
        self.interval = interval
        self.write = write
        isTerminal = isatty(STDERR_FILENO) != 0
    }

    /// Reports after a step; `force` prints regardless of the interval (the last step).
    func update(step: Int, steps: Int, memberSteps: Int, membersDone: Int, members: Int, outputBytes: Int, force: Bool = false) {
        let now = Date()
        guard force || isTerminal || now.timeIntervalSince(lastLine) >= interval else { return }
        lastLine = now
        let elapsed = now.timeIntervalSince(start)
        let rate = Double(memberSteps - doneBefore) / max(elapsed, 1e-9)
        let remaining = rate > 0 ? Double(totalMemberSteps - memberSteps) / rate : .infinity
        let line = String(format: "step %d/%d · members %d/%d · %.1f member-steps/s · ETA %@ · output %@",
                          step, steps, membersDone, members, rate, formatDuration(remaining), formatBytes(outputBytes))
        if isTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[2K  \(line)".utf8))
            if force { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            write(line)
        }
    }
}

func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
        : s >= 60 ? String(format: "%dm%02ds", s / 60, s % 60) : "\(s)s"
}

/// Decimal units (1 MB = 10⁶ bytes), as disks and quotas count.
func formatBytes(_ bytes: Int) -> String {
    let b = Double(bytes)
    if b >= 1e12 { return String(format: "%.2f TB", b / 1e12) }
    if b >= 1e9 { return String(format: "%.2f GB", b / 1e9) }
    if b >= 1e6 { return String(format: "%.1f MB", b / 1e6) }
    return String(format: "%.1f kB", b / 1e3)
}
