import Foundation
import XCTest

/// Runs a Python snippet with the test environment's interpreter (xarray, netCDF4, h5netcdf: see
/// tools/requirements-test.txt), to read Myriad's files the way users will.
///
/// The interpreter is MYRIAD_TEST_PYTHON, else `.venv-test/bin/python` at the package root (launch/test
/// makes it). Without one the test is skipped — unless MYRIAD_REQUIRE_PYTHON_TESTS=1 (set by launch/test,
/// so CI never skips it silently), where it fails.
enum PythonReader {
    static var interpreter: String? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["MYRIAD_TEST_PYTHON"], !path.isEmpty { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let venv = root.appendingPathComponent(".venv-test/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }

    /// Runs `script` with `arguments`; returns standard output, failing the test on a non-zero exit.
    static func run(_ script: String, arguments: [String] = [], file: StaticString = #filePath,
                    line: UInt = #line) throws -> String {
        guard let python = interpreter else {
            let message = "no Python with xarray: run launch/test, or set MYRIAD_TEST_PYTHON to an interpreter "
                + "with the packages of tools/requirements-test.txt"
            if ProcessInfo.processInfo.environment["MYRIAD_REQUIRE_PYTHON_TESTS"] == "1" {
                XCTFail(message, file: file, line: line)
                throw CocoaError(.fileNoSuchFile)
            }
            throw XCTSkip(message)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 0,
                       "python failed:\n" + text + String(decoding: errors, as: UTF8.self), file: file, line: line)
        return text
    }
}
