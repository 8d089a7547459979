import Foundation
import XCTest

/// The built-in demo runs however it is started: `myriad run data/demo/run.yaml` (as a batch script passes
/// it) makes the demo's initial states when they are missing, as `myriad run` alone does; `myriad run` without
/// a configuration finds the demo in the checkout of the executable when the working directory has none.
/// Each run stops after step 0 (`MYRIAD_STOP_AFTER_STEP`), which is enough to see it start.
final class DemoAnywhereTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A fresh "checkout" (data/demo linked to the real one, no out/): the demo's configuration, named as a
    /// file, makes its states in out/demo/world/ and starts.
    func testDemoConfigurationMakesItsMissingStates() throws {
        let scratch = try makeScratchDirectory("myriad-demo-config")
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("data"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: scratch.appendingPathComponent("data/demo"),
                                                   withDestinationURL: Self.root.appendingPathComponent("data/demo"))
        let job = try demoRun(["run", "data/demo/run.yaml", "--output-directory", "run"], in: scratch)
        XCTAssertEqual(job.wait(), 85, job.output())
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("out/demo/world/truth-10days.h5").path), job.output())
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("run/restart.h5").path), job.output())
    }

    /// From a directory without data/demo: the checkout above the executable (.build/…/myriad) is found, and a
    /// relative --output-directory still means the directory it was started in.
    func testRunWithoutConfigurationFindsTheDemoBesideTheExecutable() throws {
        let scratch = try makeScratchDirectory("myriad-demo-elsewhere")
        let job = try demoRun(["run", "--output-directory", "run"], in: scratch)
        XCTAssertEqual(job.wait(), 85, job.output())
        XCTAssertTrue(job.output().contains("demo: running \(Self.root.path)/data/demo/run.yaml"), job.output())
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("run/restart.h5").path), job.output())
    }

    /// `myriad ARGUMENTS` as one process (an MPI singleton) in `directory`, stopped after step 0.
    func demoRun(_ arguments: [String], in directory: URL) throws -> BackgroundProcess {
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        environment["MYRIAD_STOP_AFTER_STEP"] = "0"
        return try BackgroundProcess(executable: MPIJob.executable, arguments: arguments, environment: environment, directory: directory)
    }
}
