import ArgumentParser
import Foundation
import MPI

/// `myriad report RUN_DIR`: the run report (maps, plumes, scores, spectra) by the Python package in
/// tools/report, run with the project's virtual environment `.venv` (made by launch/setup).
///
/// Plotting is matplotlib's, not Myriad's: this command only finds the interpreter and the package and
/// runs them. It is not an SPMD command: run it once, without mpirun.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write RUN_DIR/report/index.html: maps, plumes, scores and spectra of a finished run.",
        discussion: """
            Reads only the run's files (statistics.h5, scores.h5, members.h5 when written) and its configuration \
            (the one members.h5 names, or --config). Needs the Python packages of tools/report/requirements.txt \
            in the project's .venv (launch/setup installs them); MYRIAD_PYTHON names another interpreter. \
            Run it once, not under mpirun.
            """)

    @Argument(help: "Output directory of a `myriad run`.")
    var runDirectory: String

    @Option(name: .long, help: "The run's YAML configuration (default: the one members.h5 names).")
    var config: String?

    @Option(name: .long, help: "Directory of the report (default: RUN_DIR/report).")
    var output: String?

    func run() throws {
        do {
            let (python, package) = try ReportTool.locate()
            var arguments = ["-m", "myriad_report", runDirectory]
            if let config { arguments += ["--config", config] }
            if let output { arguments += ["--output", output] }
            let status = try ReportTool.run(python: python, package: package, arguments: arguments)
            if status != 0 { throw ExitCode(status) }
        } catch let error as ReportToolError {
            writeStandardError("myriad: error: \(error.message)\n")
            throw ExitCode.failure
        }
    }
}

/// Where the report package and its interpreter are.
enum ReportTool {
    /// The repository root: MYRIAD_ROOT, else the first directory above the executable (`.build/release/myriad`)
    /// or the working directory that holds tools/report.
    static func repositoryRoot() -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let root = environment["MYRIAD_ROOT"], !root.isEmpty { return root }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        var directory = executable.deletingLastPathComponent()
        while directory.path != "/" {
            candidates.append(directory)
            directory = directory.deletingLastPathComponent()
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent(packagePath).path) }?.path
    }

    static let packagePath = "tools/report/myriad_report/__main__.py"

    /// The interpreter (MYRIAD_PYTHON, else ROOT/.venv/bin/python) and the directory to put on PYTHONPATH.
    static func locate() throws -> (python: String, package: String) {
        guard let root = repositoryRoot() else {
            throw ReportToolError(message: "the report package (\(packagePath)) was not found beside the executable nor in the working directory; "
                                  + "run from the repository root or set MYRIAD_ROOT to it")
        }
        let package = URL(fileURLWithPath: root).appendingPathComponent("tools/report").path
        let environment = ProcessInfo.processInfo.environment
        let python = environment["MYRIAD_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
            ?? URL(fileURLWithPath: root).appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw ReportToolError(message: "\(python) is missing: the report needs Python with the packages of tools/report/requirements.txt. "
                                  + "Install them with launch/setup (or: python3 -m venv \(root)/.venv && "
                                  + "\(root)/.venv/bin/pip install -r \(root)/tools/report/requirements.txt), or set MYRIAD_PYTHON to such an interpreter")
        }
        return (python, package)
    }

    /// Runs `python arguments` with the package on PYTHONPATH; returns its exit status.
    static func run(python: String, package: String, arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = [package, environment["PYTHONPATH"]].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ":")
        environment["MPLBACKEND"] = "Agg"
        process.environment = environment
        do {
            try process.run()
        } catch {
            throw ReportToolError(message: "cannot start \(python): \(error.localizedDescription); reinstall the environment with launch/setup")
        }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

struct ReportToolError: Error {
    let message: String
}
