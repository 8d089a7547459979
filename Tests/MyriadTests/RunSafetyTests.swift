import Foundation
import XCTest

/// What a cluster operator needs of `myriad run` when things go wrong (issue #20): a failure on one rank ends
/// every rank within seconds (never a hung allocation), a full file system during any collective write ends the
/// job and keeps the previous restart record, and no run replaces another run's files unasked.
final class RunSafetyTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// 1 checkpoint × 1 initial time × 4 members, 2 steps of the demo network.
    /// - output, statistics, restart: YAML flow maps of those blocks (without the directory)
    func configuration(in directory: URL, output: String = "{members: true}", statistics: String = "{enabled: false}",
                       restart: String = "{every_steps: 4}") throws -> String {
        let states = try DemoStates.path()
        let yaml = """
            checkpoints: [\(Self.root.appendingPathComponent("data/demo/demo-sfno-0.h5").path)]
            initial_conditions: {file: \(states), times: ["2000-01-02T00:00:00Z"]}
            lead_hours: 12
            members: 4
            control: true
            perturbation: {kind: bred-vector, seeded_variables: [height], target_rmse: {height: 13.7, u: 0.457, v: 0.438, vorticity: 3.78e-7}}
            seed: 3
            output: \(output)
            statistics: \(statistics.replacingOccurrences(of: "TRUTH", with: states))
            restart: \(restart)
            """
        let path = directory.appendingPathComponent("run.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    // MARK: - A failure on one rank ends every rank

    /// The output directory cannot be made (a file is in the way) or written (a read-only file system): rank 0
    /// finds out alone, and every rank must end at once with its message — at 2 and 4 ranks.
    func testUncreatableOrUnwritableOutputEndsEveryRankWithinSeconds() throws {
        let scratch = try makeScratchDirectory("myriad-safety-output")
        let config = try configuration(in: scratch)
        let blocker = scratch.appendingPathComponent("x")
        try Data().write(to: blocker)
        var cases = [(blocker.path, "exists and is not a directory"), (blocker.path + "/run", "cannot create")]
        if let readOnly = try mountTemporaryFileSystem(in: scratch, size: "1m", readOnly: true) {
            cases.append((readOnly.path + "/run", "cannot create"))
        }
        for ranks in [2, 4] {
            for (directory, expected) in cases {
                let result = try MPIJob.run(ranks: ranks, ["run", config, "--output-directory", directory], timeout: 60)
                XCTAssertFalse(result.timedOut, "\(ranks) ranks, \(directory): hung")
                XCTAssertEqual(result.status, 1, "\(ranks) ranks, \(directory):\n\(result.stderr)")
                XCTAssertLessThan(result.seconds, 30, "\(ranks) ranks, \(directory): took \(result.seconds) s")
                XCTAssertTrue(result.stderr.contains(expected) && result.stderr.contains(directory),
                              "\(ranks) ranks: no '\(expected)' naming \(directory) in:\n\(result.stderr)")
            }
        }
    }

    /// A full file system in each collective write — member output, statistics, restart record — ends the job
    /// within seconds with HDF5's reason, at 2 ranks; a record already written stays intact and resumes.
    func testFullFileSystemDuringCollectiveWritesEndsTheJobAndKeepsTheLastRecord() throws {
        let scratch = try makeScratchDirectory("myriad-safety-full")
        let writes = [
            ("members", "{members: true}", "{enabled: false}", "{every_steps: 0}", "400k"),
            ("statistics", "{members: false}", "{truth: TRUTH, quantiles: [0.1, 0.5, 0.9], spectra: true}", "{every_steps: 0}", "300k"),
            // statistics.h5.partial (516 kB: parallel HDF5 allocates it whole) and the record of step 0 (516 kB) fit;
            // the record of step 1, written beside the previous one before the rename, does not.
            ("restart", "{members: false, variables: [height]}", "{quantiles: [], spectra: false}", "{every_steps: 1}", "1300k"),
        ]
        for (what, output, statistics, restart, size) in writes {
            let directory = scratch.appendingPathComponent(what)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let config = try configuration(in: directory, output: output, statistics: statistics, restart: restart)
            guard let disk = try mountTemporaryFileSystem(in: directory, size: size) else {
                throw XCTSkip("mounting a small tmpfs needs root (CI runs as root)")
            }
            let out = disk.appendingPathComponent("run")
            let result = try MPIJob.run(ranks: 2, ["run", config, "--output-directory", out.path], timeout: 90)
            XCTAssertFalse(result.timedOut, "\(what): hung on a full disk")
            XCTAssertNotEqual(result.status, 0, "\(what): a full disk must fail the run:\n\(result.stderr)")
            XCTAssertLessThan(result.seconds, 45, "\(what): took \(result.seconds) s")
            XCTAssertTrue(result.stderr.contains("HDF5: cannot"), "\(what): no HDF5 reason in:\n\(result.stderr)")
            for name in ["members.h5", "statistics.h5", "scores.h5"] {
                XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path),
                               "\(what): \(name) under its final name after a failed run")
            }
            if what == "restart" {
                let record = out.appendingPathComponent("restart.h5")
                XCTAssertTrue(FileManager.default.fileExists(atPath: record.path), "the previous record is gone")
                let moved = scratch.appendingPathComponent("resumed")
                try FileManager.default.copyItem(at: out, to: moved)
                let resumed = try MPIJob.run(ranks: 2, ["run", config, "--resume", "--output-directory", moved.path], timeout: 90)
                XCTAssertEqual(resumed.status, 0, "the kept record does not resume:\n\(resumed.stderr)")
                XCTAssertTrue(resumed.stderr.contains("stale lock") || resumed.stdout.contains("stale lock"),
                              "the aborted run's lock is not named as stale:\n\(resumed.stdout)\(resumed.stderr)")
            }
        }
    }

    // MARK: - No run replaces another's files unasked

    func testAFinishedRunIsNeitherReplacedNorMixedUnasked() throws {
        let scratch = try makeScratchDirectory("myriad-safety-overwrite")
        let config = try configuration(in: scratch)
        let out = scratch.appendingPathComponent("out")
        try MPIJob.succeed(ranks: 2, ["run", config, "--output-directory", out.path])
        let members = out.appendingPathComponent("members.h5")
        let before = try Data(contentsOf: members)

        let again = try MPIJob.run(ranks: 2, ["run", config, "--output-directory", out.path])
        XCTAssertEqual(again.status, 1)
        for expected in ["\(out.path) holds another run's files", "members.h5", "--overwrite", "another --output-directory"] {
            XCTAssertTrue(again.stderr.contains(expected), "missing '\(expected)' in:\n\(again.stderr)")
        }
        let some = try MPIJob.run(ranks: 2, ["run", config, "--members", "1", "--overwrite", "--output-directory", out.path])
        XCTAssertEqual(some.status, 1)
        XCTAssertTrue(some.stderr.contains("holds a full run's files"), some.stderr)
        XCTAssertEqual(try Data(contentsOf: members), before, "a refused run changed members.h5")

        // Asked: --overwrite replaces the files (the same run again gives the same bytes).
        let replaced = try MPIJob.run(ranks: 2, ["run", config, "--overwrite", "--output-directory", out.path])
        XCTAssertEqual(replaced.status, 0, replaced.stderr)
        XCTAssertTrue(replaced.stdout.contains("--overwrite: removed") || replaced.stderr.contains("--overwrite: removed"))
        XCTAssertEqual(try Data(contentsOf: members), before)
    }

    /// A lock of a live run refuses a second run at once; a lock whose process is gone is named and taken over.
    func testALiveLockRefusesASecondRunAndAStaleLockIsTakenOver() throws {
        let scratch = try makeScratchDirectory("myriad-safety-lock")
        let config = try configuration(in: scratch)
        let out = scratch.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let lock = out.appendingPathComponent("myriad-run.lock")
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        let host = String(cString: name)
        func writeLock(pid: Int32) throws {
            try #"{"host":"\#(host)","pid":\#(pid),"started":"2026-01-01T00:00:00Z"}"#.write(to: lock, atomically: true, encoding: .utf8)
        }

        try writeLock(pid: getpid())   // this test process: alive
        let refused = try MPIJob.run(ranks: 2, ["run", config, "--output-directory", out.path], timeout: 60)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("another run is writing into \(out.path) (host \(host), pid \(getpid())"), refused.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: lock.path), "the live run's lock was removed")

        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        try writeLock(pid: gone.processIdentifier)
        let taken = try MPIJob.run(ranks: 2, ["run", config, "--output-directory", out.path], timeout: 60)
        XCTAssertEqual(taken.status, 0, taken.stderr)
        XCTAssertTrue((taken.stdout + taken.stderr).contains("taking over the stale lock \(lock.path)"), taken.stdout + taken.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: lock.path), "a finished run leaves its lock behind")
    }

    // MARK: - Support

    /// A tmpfs of `size` mounted at a new folder of `directory` (unmounted when the test ends); nil where this
    /// process may not mount (not root).
    func mountTemporaryFileSystem(in directory: URL, size: String, readOnly: Bool = false) throws -> URL? {
        guard getuid() == 0 else { return nil }
        let point = directory.appendingPathComponent("tmpfs-\(size)\(readOnly ? "-ro" : "")")
        try FileManager.default.createDirectory(at: point, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=\(size)\(readOnly ? ",ro" : "")", "tmpfs", point.path]
        try mount.run()
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else { return nil }
        addTeardownBlock {
            let unmount = Process()
            unmount.executableURL = URL(fileURLWithPath: "/bin/umount")
            unmount.arguments = ["-l", point.path]
            try? unmount.run()
            unmount.waitUntilExit()
        }
        return point
    }
}
