import Foundation
import MPI
import Statistics

/// The output directory of one run, guarded so that no run replaces another's files unasked:
///
/// - `myriad-run.lock` (host, pid, start time, Slurm job) exists while a run writes into the directory; a
///   second run fails at once, naming the first. A lock whose process is gone (same host, no such pid; or
///   the same Slurm job, requeued) is stale: it is named and taken over, so a requeued or killed run resumes.
/// - A fresh run (no `--resume`) refuses a directory that holds another run's files unless `--overwrite`
///   is given, which removes them first. A `--members` rerun never goes into a full run's directory.
/// - `myriad-run.json` says which run the files belong to (configuration, members, start); it stays after
///   the run, so later runs can tell a full run's directory from a `--members` rerun's.
/// - On `--resume`, final names left by a run killed during its final renames are taken back to their
///   `.partial` names, so the run finishes again from its restart record with the same files.
///
/// Every check runs on rank 0 and the ranks agree on its outcome before anyone goes on
/// (`Communicator.agreeing`), so a refusal ends every rank with one message.
public struct RunDirectory {
    public static let lockName = "myriad-run.lock"
    public static let manifestName = "myriad-run.json"
    /// Files a run writes, under their final names (each also as `NAME.partial` while written).
    public static let outputNames = [MemberOutput.fileName, InSituStatistics.statisticsFileName, InSituStatistics.scoresFileName,
                                     InSituStatistics.scoresCSVName, RestartRecord.fileName]

    public let path: String
    private var lockPath: String { "\(path)/\(Self.lockName)" }
    private var manifestPath: String { "\(path)/\(Self.manifestName)" }

    public init(path: String) { self.path = path }

    /// Run files present in the directory (final and partial names, the manifest), sorted.
    public func runFiles() -> [String] {
        let names = Self.outputNames.flatMap { [$0, $0 + ".partial"] } + [Self.manifestName]
        return names.filter { FileManager.default.fileExists(atPath: "\(path)/\($0)") }.sorted()
    }

    /// Creates the directory, takes the lock and checks (fresh run) or prepares (resume) its files; collective.
    /// - log: messages for the user (rank 0's, printed once)
    public func prepare(world: Communicator, configurationFile: String, selection: Set<Int>?, resume: Bool, overwrite: Bool,
                        log: (String) -> Void) throws {
        let messages: [String] = try world.agreeing {
            guard world.isRoot else { return [] }
            var messages: [String] = []
            try createDirectory()
            if let stale = try takeLock() { messages.append(stale) }
            do {
                if resume {
                    messages += try undoFinalRenames()
                } else {
                    if let removed = try checkFresh(selection: selection, overwrite: overwrite) { messages.append(removed) }
                    try writeManifest(configurationFile: configurationFile, selection: selection)
                }
            } catch {
                releaseLock()
                throw error
            }
            return messages
        }
        messages.forEach(log)
    }

    /// Removes the lock (rank 0); called when the run ends, however it ends short of an abort.
    public func releaseLock() {
        try? FileManager.default.removeItem(atPath: lockPath)
    }

    // MARK: - Steps (rank 0)

    private func createDirectory() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw RunError("output.directory: '\(path)' exists and is not a directory; give another --output-directory (or output.directory in the configuration)")
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw RunError("output.directory: cannot create '\(path)': \(error.localizedDescription); give a directory you can write (--output-directory)")
        }
        guard FileManager.default.isWritableFile(atPath: path) else {
            throw RunError("output.directory: '\(path)' is not writable by this user; give another --output-directory or fix its permissions")
        }
    }

    /// What a lock file says about the run holding it.
    struct LockOwner: Codable {
        let host: String
        let pid: Int32
        let started: String
        let slurmJob: String?

        static var current: LockOwner {
            let environment = ProcessInfo.processInfo.environment
            return LockOwner(host: MPIEnvironment.processorName, pid: getpid(), started: iso8601(Date()),
                             slurmJob: environment["SLURM_JOB_ID"].map { id in
                                 environment["SLURM_ARRAY_JOB_ID"].map { "\($0)_\(environment["SLURM_ARRAY_TASK_ID"] ?? "")" } ?? id
                             })
        }

        var description: String {
            "host \(host), pid \(pid), started \(started)" + (slurmJob.map { ", Slurm job \($0)" } ?? "")
        }

        /// Whether the process that wrote the lock is certainly gone: on this host and no such process, or
        /// this very Slurm job (a requeued job runs again under its own id, the old tasks are dead).
        var isStale: Bool {
            let me = LockOwner.current
            if let job = slurmJob, job == me.slurmJob { return true }
            return host == me.host && !Self.isRunning(pid)
        }

        /// Whether process `pid` of this host exists and is not a zombie (an aborted rank whose parent is gone
        /// stays one where nobody reaps orphans, e.g. in a container).
        static func isRunning(_ pid: Int32) -> Bool {
            if kill(pid, 0) != 0 && errno == ESRCH { return false }
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return true }
            return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
        }
    }

    /// Creates the lock atomically; a stale lock is taken over (the returned message names it).
    private func takeLock() throws -> String? {
        if try createLock() { return nil }
        guard let text = FileManager.default.contents(atPath: lockPath),
              let holder = try? JSONDecoder().decode(LockOwner.self, from: text) else {
            throw RunError("\(path) is locked by \(lockPath), which is unreadable; if no run writes into \(path) any more, remove \(lockPath)")
        }
        guard holder.isStale else {
            throw RunError("another run is writing into \(path) (\(holder.description)); wait for it to end or give another --output-directory. If that run is dead (killed on another node), remove \(lockPath)")
        }
        try? FileManager.default.removeItem(atPath: lockPath)
        guard try createLock() else {
            throw RunError("another run took the lock \(lockPath) just now; wait for it to end or give another --output-directory")
        }
        return "taking over the stale lock \(lockPath) of a run that is gone (\(holder.description))"
    }

    /// Creates the lock file with this run's owner; false if it exists.
    private func createLock() throws -> Bool {
        let data = try JSONEncoder().encode(LockOwner.current)
        let fd = open(lockPath, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            if errno == EEXIST { return false }
            throw RunError("cannot create the lock \(lockPath): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == data.count else {
            let reason = String(cString: strerror(errno))
            releaseLock()
            throw RunError("cannot write the lock \(lockPath): \(reason)")
        }
        return true
    }

    /// A fresh run's check: the directory holds no run's files, or `--overwrite` removes them.
    private func checkFresh(selection: Set<Int>?, overwrite: Bool) throws -> String? {
        let present = runFiles()
        guard !present.isEmpty else { return nil }
        let listed = present.joined(separator: ", ")
        if selection != nil, holdsFullRun() {
            throw RunError("--members reruns chosen members into a directory of their own, but \(path) holds a full run's files (\(listed)); give another --output-directory")
        }
        guard overwrite else {
            let resumable = present.contains(RestartRecord.fileName) ? "; or --resume to carry on its stopped run" : ""
            throw RunError("\(path) holds another run's files (\(listed)); add --overwrite to replace them, or give another --output-directory\(resumable)")
        }
        for name in present { try FileManager.default.removeItem(atPath: "\(path)/\(name)") }
        return "--overwrite: removed the earlier run's \(listed) from \(path)"
    }

    /// Whether the files here are a full run's: its manifest says so, or (files of a run from before manifests)
    /// there is no manifest.
    private func holdsFullRun() -> Bool {
        guard let data = FileManager.default.contents(atPath: manifestPath),
              let manifest = try? JSONDecoder().decode(Manifest.self, from: data) else { return true }
        return manifest.members == nil
    }

    struct Manifest: Codable {
        let configuration: String
        /// The member ids of a `--members` rerun; nil for a full run.
        let members: [Int]?
        let started: String
    }

    private func writeManifest(configurationFile: String, selection: Set<Int>?) throws {
        let manifest = Manifest(configuration: configurationFile, members: selection?.sorted(), started: iso8601(Date()))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try encoder.encode(manifest).write(to: URL(fileURLWithPath: manifestPath), options: .atomic)
        } catch {
            throw RunError("cannot write \(manifestPath): \(error.localizedDescription)")
        }
    }

    /// A run killed during its final renames left some files under final names: take them back to `.partial`
    /// so that the resumed run writes and renames them again. (scores.csv is made anew from scores.h5.)
    private func undoFinalRenames() throws -> [String] {
        guard FileManager.default.fileExists(atPath: "\(path)/\(RestartRecord.fileName)") else { return [] }
        var messages: [String] = []
        for name in Self.outputNames where name != RestartRecord.fileName {
            let final = "\(path)/\(name)"
            let partial = final + ".partial"
            guard FileManager.default.fileExists(atPath: final), !FileManager.default.fileExists(atPath: partial) else { continue }
            if rename(final, partial) != 0 {
                throw RunError("--resume: cannot rename \(final) back to \(partial): \(String(cString: strerror(errno)))")
            }
            messages.append("--resume: \(name) was renamed before the stop; finishing it again from the restart record")
        }
        return messages
    }
}
