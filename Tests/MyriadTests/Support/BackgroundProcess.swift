import Foundation
import XCTest

/// A command in the background with its output in a log file, for tests that signal it or wait for a file
/// it writes: a `myriad` job under mpirun (`mpirun(ranks:_:)`) or a batch script's body
/// (`ClusterScriptTests.batchJob`). Killed and its log removed when released.
final class BackgroundProcess {
    let process = Process()
    private let logFile: URL

    init(executable: String, arguments: [String], environment: [String: String], directory: URL? = nil) throws {
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("myriad-background-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.environment = environment
        let handle = try FileHandle(forWritingTo: logFile)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// `myriad ARGUMENTS` on `ranks` processes under mpirun, one OpenBLAS thread each.
    static func mpirun(ranks: Int, _ arguments: [String]) throws -> BackgroundProcess {
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        return try BackgroundProcess(
            executable: "/usr/bin/env",
            arguments: ["mpirun", "--oversubscribe", "-np", "\(ranks)"] + (MPIJob.isRoot ? ["--allow-run-as-root"] : [])
                + [MPIJob.executable] + arguments,
            environment: environment)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: logFile)
    }

    /// The exit status; stops the command and fails the test after `timeout` seconds.
    func wait(timeout: Double = 180) -> Int32 {
        let start = Date()
        while process.isRunning {
            if Date().timeIntervalSince(start) > timeout {
                kill(process.processIdentifier, SIGTERM)
                Thread.sleep(forTimeInterval: 5)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                XCTFail("\(process.arguments?.joined(separator: " ") ?? "") timed out after \(timeout) s:\n\(output())")
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Waits until `file` exists (modified after `newerThan`), failing after `timeout` seconds.
    func waitFor(file: String, newerThan: Date = .distantPast, timeout: Double = 180) throws {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout && process.isRunning {
            if let modified = (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date,
               modified > newerThan { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTFail("\(file) did not appear within \(timeout) s:\n\(output())")
        throw CocoaError(.fileNoSuchFile)
    }

    /// The command's child processes (for mpirun: the ranks).
    func children() -> [pid_t] {
        let pid = process.processIdentifier
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { pid_t($0) }
    }

    func output() -> String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
}
