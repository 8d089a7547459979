import Foundation
import XCTest

/// Launches the built `myriad` executable under `mpirun --oversubscribe -np N`, with a timeout, and
/// captures what it printed. MPI tests run the real executable in a real MPI job; nothing is mocked.
struct MPIJob {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        let seconds: Double
        let timedOut: Bool
    }

    /// The `myriad` built beside this test bundle (override with MYRIAD_EXECUTABLE).
    static var executable: String {
        if let path = ProcessInfo.processInfo.environment["MYRIAD_EXECUTABLE"] { return path }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("myriad").path
    }

    static var isRoot: Bool { getuid() == 0 }

    /// Runs `myriad ARGUMENTS` on `ranks` processes. Fails the test (and kills the job) after `timeout` s.
    static func run(ranks: Int, _ arguments: [String], timeout: Double = 120, environment extra: [String: String] = [:],
                    file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        let exe = executable
        guard FileManager.default.isExecutableFile(atPath: exe) else {
            XCTFail("myriad executable not found at \(exe); build it first (swift build)", file: file, line: line)
            throw CocoaError(.fileNoSuchFile)
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("myriad-mpijob-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("stdout")
        let err = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var mpirunArguments = ["mpirun", "--oversubscribe", "-np", "\(ranks)"]
        if isRoot { mpirunArguments.append("--allow-run-as-root") }
        process.arguments = mpirunArguments + [exe] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        environment.merge(extra) { $1 }
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice

        let start = Date()
        try process.run()
        var timedOut = false
        while process.isRunning {
            if Date().timeIntervalSince(start) > timeout {
                timedOut = true
                process.terminate()
                Thread.sleep(forTimeInterval: 2)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.waitUntilExit()
        let result = Result(status: process.terminationStatus,
                            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
                            seconds: Date().timeIntervalSince(start), timedOut: timedOut)
        if timedOut {
            XCTFail("mpirun -np \(ranks) myriad \(arguments.joined(separator: " ")) timed out after \(timeout) s\n"
                    + result.stdout + result.stderr, file: file, line: line)
        }
        return result
    }

    /// Runs and requires a zero exit status; returns standard output.
    @discardableResult
    static func succeed(ranks: Int, _ arguments: [String], timeout: Double = 120,
                        file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try run(ranks: ranks, arguments, timeout: timeout, file: file, line: line)
        XCTAssertEqual(result.status, 0, "mpirun -np \(ranks) myriad \(arguments.joined(separator: " ")) failed:\n"
                       + result.stdout + result.stderr, file: file, line: line)
        return result.stdout
    }
}
