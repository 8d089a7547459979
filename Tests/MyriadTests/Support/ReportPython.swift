import Foundation
import XCTest

/// The project's own environment `.venv` (launch/setup installs tools/report/requirements.txt into it), which
/// `myriad report` runs. Without it the report tests skip — unless MYRIAD_REQUIRE_PYTHON_TESTS=1 (launch/test,
/// so CI never skips them silently), where they fail.
enum ReportPython {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func interpreter(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let python = root.appendingPathComponent(".venv/bin/python").path
        if FileManager.default.isExecutableFile(atPath: python) { return python }
        let message = "no \(python): run launch/setup (it installs tools/report/requirements.txt into .venv)"
        if ProcessInfo.processInfo.environment["MYRIAD_REQUIRE_PYTHON_TESTS"] == "1" {
            XCTFail(message, file: file, line: line)
            throw CocoaError(.fileNoSuchFile)
        }
        throw XCTSkip(message)
    }

    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `executable arguments` (no MPI), with `environment` added.
    static func launch(_ executable: String, _ arguments: [String], environment extra: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment.merge(extra) { $1 }
        process.environment = environment
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("myriad-launch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("stdout"), err = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let output = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        return Output(status: process.terminationStatus, stdout: output, stderr: errors)
    }
}
