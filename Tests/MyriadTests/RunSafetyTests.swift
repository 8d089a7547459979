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

        for ranks in [1, 2, 4] {
            let again = try MPIJob.run(ranks: ranks, ["run", config, "--output-directory", out.path])
            XCTAssertEqual(again.status, 1, "\(ranks) ranks")
            for expected in ["\(out.path) holds another run's files", "members.h5", "--overwrite", "another --output-directory"] {
                XCTAssertTrue(again.stderr.contains(expected), "\(ranks) ranks: missing '\(expected)' in:\n\(again.stderr)")
            }
            let some = try MPIJob.run(ranks: ranks, ["run", config, "--members", "1", "--overwrite", "--output-directory", out.path])
            XCTAssertEqual(some.status, 1, "\(ranks) ranks")
            XCTAssertTrue(some.stderr.contains("holds a full run's files"), "\(ranks) ranks: \(some.stderr)")
        }
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
        for ranks in [1, 2, 4] {
            let refused = try MPIJob.run(ranks: ranks, ["run", config, "--output-directory", out.path], timeout: 60)
            XCTAssertEqual(refused.status, 1, "\(ranks) ranks")
            XCTAssertTrue(refused.stderr.contains("another run is writing into \(out.path) (host \(host), pid \(getpid())"),
                          "\(ranks) ranks: \(refused.stderr)")
            XCTAssertTrue(FileManager.default.fileExists(atPath: lock.path), "\(ranks) ranks: the live run's lock was removed")
        }

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

    // MARK: - A member that blows up late stays out of everything

    /// A checkpoint whose height output is 3e37 in normalised units (finite) — 4e38 m once denormalised
    /// (infinite): its members are flagged at step 1, written as fill values from that lead on and left out of
    /// the statistics and scores; a run of that checkpoint alone fails; NaN weights are refused when loaded.
    func testMembersThatOverflowOnceDenormalisedAreFlaggedAtTheirStepAndLeftOut() throws {
        let scratch = try makeScratchDirectory("myriad-safety-blowup")
        let overflowing = scratch.appendingPathComponent("overflowing.h5").path
        let poisoned = scratch.appendingPathComponent("poisoned.h5").path
        _ = try PythonReader.run("""
            import sys, shutil, h5py, numpy as np
            shutil.copy(sys.argv[1], sys.argv[2]); shutil.copy(sys.argv[1], sys.argv[3])
            with h5py.File(sys.argv[2], "r+") as f: f["weights/decoder.0.bias"][0] = np.float32(3e37)
            with h5py.File(sys.argv[3], "r+") as f: f["weights/decoder.0.weight"][1, 5, 0, 0] = np.nan
            print("ok")
            """, arguments: [Self.root.appendingPathComponent("data/demo/demo-sfno-1.h5").path, overflowing, poisoned])
        let good = Self.root.appendingPathComponent("data/demo/demo-sfno-0.h5").path
        let config = try configuration(in: scratch, statistics: "{truth: TRUTH, quantiles: [0.5], spectra: true}")
        // Noise, not bred vectors: breeding runs the network, which would flag the members at step 0 already.
        let text = try String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: #"perturbation: {kind: bred-vector"#, with: #"perturbation: {kind: spherical-gaussian} #"#)
        let mixed = text.replacingOccurrences(of: "checkpoints: [\(good)]", with: "checkpoints: [\(good), \(overflowing)]")
        try mixed.write(toFile: config, atomically: true, encoding: .utf8)

        let out = scratch.appendingPathComponent("out")
        let result = try MPIJob.run(ranks: 2, ["run", config, "--output-directory", out.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        for id in 4..<8 {
            XCTAssertTrue(result.stderr.contains("member \(id) (time 0, checkpoint 1, #\(id - 4)) is not finite at step 1"), result.stderr)
        }
        XCTAssertTrue((result.stdout + result.stderr).contains("4 member(s) turned non-finite"), result.stdout + result.stderr)
        let check = try PythonReader.run("""
            import sys, numpy as np, xarray as xr
            d = sys.argv[1]
            m = xr.open_dataset(d + "/members.h5"); s = xr.open_dataset(d + "/statistics.h5"); c = xr.open_dataset(d + "/scores.h5")
            assert (m.member_valid.values[:4, 0] == 1).all() and (m.member_valid.values[4:, 0] == 0).all(), m.member_valid.values
            for name in ["height", "u", "v", "vorticity"]:
                x = m[name].values                                   # [ensemble, time, lead, lat, lon]
                assert np.isfinite(x[:, 0, 0]).all(), name           # lead 0: every member finite
                assert np.isfinite(x[:4, 0, 1:]).all(), name
                assert np.isnan(x[4:, 0, 1:]).all(), name            # flagged from step 1 on: fill values
            assert (s.members.values[0, 0] == 8) and (s.members.values[0, 1:] == 4).all(), s.members.values
            for v in list(s.data_vars) + list(c.data_vars):
                ds = s if v in s else c
                values = ds[v].values
                if values.dtype.kind == "f": assert np.isfinite(values[~np.isnan(values)]).all() and not np.isinf(values).any(), v
            for v in ["height_mean", "height_std", "height_min", "height_max"]:
                assert np.isfinite(s[v].values).all(), v
            # Every score finite, except makani's spread–skill, NaN by definition where its denominator is not positive.
            rows = [r for r in open(d + "/scores.csv").read().lower().splitlines()[1:] if ",spread_skill_makani," not in r]
            assert not any("nan" in r or "inf" in r for r in rows), [r for r in rows if "nan" in r or "inf" in r][:5]
            print("ok")
            """, arguments: [out.path])
        XCTAssertEqual(check.trimmingCharacters(in: .whitespacesAndNewlines), "ok")

        // Every member overflowing: the run fails.
        try text.replacingOccurrences(of: "checkpoints: [\(good)]", with: "checkpoints: [\(overflowing)]")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let all = try MPIJob.run(ranks: 2, ["run", config, "--output-directory", scratch.appendingPathComponent("all").path])
        XCTAssertEqual(all.status, 1, all.stderr)
        XCTAssertTrue(all.stderr.contains("every member (4) turned non-finite"), all.stderr)

        // NaN in the weights: refused when loaded, naming the file and the weight.
        try text.replacingOccurrences(of: "checkpoints: [\(good)]", with: "checkpoints: [\(poisoned)]")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let refused = try MPIJob.run(ranks: 2, ["run", config, "--output-directory", scratch.appendingPathComponent("nan").path])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains(poisoned) && refused.stderr.contains("decoder.0.weight")
                      && refused.stderr.contains("1 of its 128 values are not finite"), refused.stderr)
    }

    // MARK: - Resume from anywhere, and only with the same inputs

    /// A run killed during its final renames (members.h5 renamed, statistics not yet) resumes and ends with the
    /// uninterrupted run's files; a resume after a checkpoint's or the truth's contents changed is refused.
    func testResumeCompletesFromTheFinalRenamesAndRefusesChangedInputs() throws {
        let scratch = try makeScratchDirectory("myriad-safety-resume")
        let checkpoint = scratch.appendingPathComponent("model.h5")
        try FileManager.default.copyItem(atPath: Self.root.appendingPathComponent("data/demo/demo-sfno-0.h5").path, toPath: checkpoint.path)
        let config = try configuration(in: scratch, statistics: "{truth: TRUTH, quantiles: [0.5]}", restart: "{every_steps: 1}")
        let text = try String(contentsOfFile: config, encoding: .utf8)
        try text.replacingOccurrences(of: Self.root.appendingPathComponent("data/demo/demo-sfno-0.h5").path, with: checkpoint.path)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let reference = scratch.appendingPathComponent("reference"), out = scratch.appendingPathComponent("out")
        try MPIJob.succeed(ranks: 2, ["run", config, "--output-directory", reference.path])

        // Killed right after members.h5.partial became members.h5 (the record of the last step is there).
        let stopped = try MPIJob.run(ranks: 2, ["run", config, "--output-directory", out.path], environment: ["MYRIAD_STOP_AFTER_STEP": "1"])
        XCTAssertEqual(stopped.status, 85, stopped.stderr)
        try FileManager.default.moveItem(at: out.appendingPathComponent("members.h5.partial"), to: out.appendingPathComponent("members.h5"))
        try MPIJob.succeed(ranks: 2, ["run", config, "--resume", "--output-directory", out.path])
        for name in ["members.h5", "statistics.h5", "scores.h5", "scores.csv"] {
            XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent(name)), try Data(contentsOf: reference.appendingPathComponent(name)),
                           "\(name) after resuming from the final renames differs from the uninterrupted run's")
        }

        // Inputs changed under a stopped run: refused, the file named; restored: resumed.
        let again = scratch.appendingPathComponent("again")
        XCTAssertEqual(try MPIJob.run(ranks: 2, ["run", config, "--output-directory", again.path],
                                      environment: ["MYRIAD_STOP_AFTER_STEP": "1"]).status, 85)
        let original = try Data(contentsOf: checkpoint)
        _ = try PythonReader.run("""
            import sys, h5py
            with h5py.File(sys.argv[1], "r+") as f: f["weights/decoder.0.bias"][0] += 1e-3
            print("ok")
            """, arguments: [checkpoint.path])
        let refused = try MPIJob.run(ranks: 2, ["run", config, "--resume", "--output-directory", again.path])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("checkpoint \(checkpoint.path): contents changed"), refused.stderr)
        try original.write(to: checkpoint)
        try MPIJob.succeed(ranks: 2, ["run", config, "--resume", "--output-directory", again.path])
        XCTAssertEqual(try Data(contentsOf: again.appendingPathComponent("members.h5")),
                       try Data(contentsOf: reference.appendingPathComponent("members.h5")))
    }

    /// SIGUSR1 to the ranks the moment they exist (before MPI is up) stops the run cleanly: exit 85 with a
    /// record, never a rank killed by the signal (status 138).
    func testAStopSignalAtTheFirstMomentStopsCleanly() throws {
        let scratch = try makeScratchDirectory("myriad-safety-early-signal")
        let config = try configuration(in: scratch)
        let job = try BackgroundProcess.mpirun(ranks: 2, ["run", config, "--output-directory", scratch.appendingPathComponent("out").path])
        // Each rank is signalled the moment its handler exists (SIGUSR1 in /proc/PID/status SigCgt): before MPI
        // starts, as a batch system's signal can be.
        // The handler must already be there while MPI_Init has not yet loaded OpenMPI's components (mca_*.so).
        let start = Date()
        var signalled = Set<pid_t>()
        var lateHandlers: [pid_t] = []
        while signalled.count < 2 && Date().timeIntervalSince(start) < 30 && job.process.isRunning {
            for rank in job.children() where !signalled.contains(rank) && Self.catchesUSR1(rank) {
                kill(rank, SIGUSR1)
                signalled.insert(rank)
                let maps = (try? String(contentsOfFile: "/proc/\(rank)/maps", encoding: .utf8)) ?? ""
                if maps.contains("/mca_") { lateHandlers.append(rank) }
            }
        }
        XCTAssertEqual(signalled.count, 2, "ranks that installed a SIGUSR1 handler: \(signalled)\n\(job.output())")
        XCTAssertEqual(lateHandlers, [], "ranks whose stop handler came only after MPI started")
        let status = job.wait(timeout: 120)
        XCTAssertEqual(status, 85, job.output())
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("out/restart.h5").path), job.output())
    }

    // MARK: - Clear errors, early

    /// An impossible layout is a message, not a trace; NaN in the truth at the last scored lead is refused
    /// before the first step.
    func testImpossibleLayoutsAndBadTruthAreRefusedBeforeAnyStep() throws {
        let scratch = try makeScratchDirectory("myriad-safety-early")
        let config = try configuration(in: scratch)
        let text = try String(contentsOfFile: config, encoding: .utf8)
        try (text + "\nparallel: {h: 2, w: 1, channel: 1}\n").write(toFile: config, atomically: true, encoding: .utf8)
        let layout = try MPIJob.run(ranks: 1, ["run", config, "--output-directory", scratch.appendingPathComponent("a").path])
        XCTAssertEqual(layout.status, 1, layout.stderr)
        XCTAssertTrue(layout.stderr.contains("does not divide into model groups of 2 ranks"), layout.stderr)
        XCTAssertFalse(layout.stderr.contains("Precondition") || layout.stderr.contains("Backtrac"), layout.stderr)

        // The truth's state at 2000-01-02T12:00Z, the run's last lead (index 6 of the demo states), gets a NaN.
        let states = try DemoStates.path()
        let truthDirectory = scratch.appendingPathComponent("truth")
        try FileManager.default.createDirectory(at: truthDirectory, withIntermediateDirectories: true)
        let truth = truthDirectory.appendingPathComponent("truth.h5").path
        try FileManager.default.copyItem(atPath: states, toPath: truth)
        try FileManager.default.copyItem(atPath: (states as NSString).deletingLastPathComponent + "/data.json",
                                         toPath: truthDirectory.appendingPathComponent("data.json").path)
        _ = try PythonReader.run("""
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "r+") as f: f["fields"][6, 1, 10, 20] = np.nan
            print("ok")
            """, arguments: [truth])
        try text.replacingOccurrences(of: "statistics: {enabled: false}", with: "statistics: {truth: \(truth)}")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let bad = try MPIJob.run(ranks: 2, ["run", config, "--output-directory", scratch.appendingPathComponent("b").path])
        XCTAssertEqual(bad.status, 1, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("\(truth): fields[6, 1] ('u') is not finite at lat 10, lon 20"), bad.stderr)
        XCTAssertFalse(bad.stdout.contains("step 1/"), "the bad truth was found only after stepping:\n\(bad.stdout)")
    }

    // MARK: - Support

    /// Whether process `pid` runs myriad (not mpirun's fork before its exec) and has a handler for SIGUSR1
    /// (bit 10 of SigCgt).
    static func catchesUSR1(_ pid: pid_t) -> Bool {
        guard let image = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe"),
              image.hasSuffix("/myriad"),
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
              let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return mask & (1 << (UInt64(SIGUSR1) - 1)) != 0
    }

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
