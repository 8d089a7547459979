import Foundation
import XCTest

/// The Slurm scripts of cluster/ and the local scripts of launch/: every script passes `bash -n` and
/// shellcheck; the batch scripts run on a "fake cluster" — their body under bash with SLURM_* variables set
/// and stub `srun` (→ `mpirun -np $SLURM_NTASKS`) and `scontrol` (records the requeue) first on PATH
/// (Tests/MyriadTests/Fixtures/fake-slurm) — through a stop (MYRIAD_STOP_AFTER_STEP, or a real SIGUSR1 to the
/// batch shell), exit 85, the requeue, and the requeued job's --resume, ending with the files of an
/// uninterrupted run byte for byte; a cancel (SIGTERM, exit 143) that is not requeued; an outcome judged by
/// the files, not srun's status; the choice of --mpi=pmix. The same scripts under a real Slurm:
/// cluster/test-slurm (run by launch/test).
final class ClusterScriptTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let fakeSlurm = root.appendingPathComponent("Tests/MyriadTests/Fixtures/fake-slurm")

    // MARK: - Static checks

    /// The scripts: cluster/*.sh, every file of launch/, the fake-cluster stubs (paths relative to the root).
    func scripts() throws -> [String] {
        let manager = FileManager.default
        let cluster = try manager.contentsOfDirectory(atPath: Self.root.appendingPathComponent("cluster").path)
            .filter { $0.hasSuffix(".sh") }.map { "cluster/\($0)" }
        let launch = try manager.contentsOfDirectory(atPath: Self.root.appendingPathComponent("launch").path)
            .filter { !$0.hasPrefix(".") }.map { "launch/\($0)" }
        let stubs = ["srun", "scontrol"].map { "Tests/MyriadTests/Fixtures/fake-slurm/\($0)" }
        return (cluster + launch + ["cluster/test-slurm"]).sorted() + stubs
    }

    func testEveryScriptPassesBashSyntaxCheckAndShellcheck() throws {
        let scripts = try scripts()
        for required in ["cluster/myriad-job.sh", "cluster/one-node.sh", "cluster/multi-node.sh", "cluster/array.sh",
                         "cluster/hens.sh", "launch/ensemble", "launch/env.sh", "launch/setup", "launch/test", "launch/run"] {
            XCTAssertTrue(scripts.contains(required), "\(required) missing from \(scripts)")
        }
        for script in scripts {
            let check = try shell(["bash", "-n", script])
            XCTAssertEqual(check.status, 0, "bash -n \(script):\n\(check.output)")
        }
        guard (try? shell(["shellcheck", "--version"]))?.status == 0 else {
            let message = "shellcheck is not installed: launch/setup installs it as root on Debian/Ubuntu (apt-get install shellcheck)"
            if ProcessInfo.processInfo.environment["MYRIAD_REQUIRE_SHELLCHECK"] == "1" { return XCTFail(message) }
            throw XCTSkip(message)
        }
        // -x follows the `# shellcheck source=…` of the batch scripts (paths relative to the repository root).
        let lint = try shell(["shellcheck", "-x"] + scripts)
        XCTAssertEqual(lint.status, 0, "shellcheck -x:\n\(lint.output)")
    }

    /// The batch scripts carry what a requeueable job on a shared file system needs.
    func testBatchScriptsAskForSignalRequeueAndAppendedLogs() throws {
        for name in ["one-node.sh", "multi-node.sh", "array.sh", "hens.sh"] {
            let text = try String(contentsOf: Self.root.appendingPathComponent("cluster/\(name)"), encoding: .utf8)
            for directive in ["#SBATCH --signal=USR1@", "#SBATCH --requeue", "#SBATCH --open-mode=append",
                              "#SBATCH --cpus-per-task=", "cluster/myriad-job.sh"] {
                XCTAssertTrue(text.contains(directive), "cluster/\(name) lacks \(directive)")
            }
        }
        let job = try String(contentsOf: Self.root.appendingPathComponent("cluster/myriad-job.sh"), encoding: .utf8)
        for needed in ["export HDF5_USE_FILE_LOCKING=FALSE", "scontrol requeue \"$SLURM_JOB_ID\"", "--resume",
                       "srun --cpus-per-task=\"$threads\" --cpu-bind=cores", "OPENBLAS_NUM_THREADS=$threads", "return 85",
                       "trap 'MYRIAD_JOB_WARNED=1; kill -USR1", "myriad_job_finished \"$output\""] {
            XCTAssertTrue(job.contains(needed), "cluster/myriad-job.sh lacks \(needed)")
        }
    }

    // MARK: - Fake cluster

    /// multi-node.sh on 2 ranks: stopped after step 2 (exit 85, the job requeues itself), then the requeued job
    /// resumes and its members.h5 and statistics.h5 are the uninterrupted run's, byte for byte.
    func testFakeClusterStopRequeueAndResumeGiveTheUninterruptedFiles() throws {
        let scratch = try makeScratchDirectory("myriad-cluster-requeue")
        let config = try writeConfiguration(in: scratch, times: ["2000-01-02T00:00:00Z", "2000-01-02T12:00:00Z"])
        let reference = scratch.appendingPathComponent("reference"), out = scratch.appendingPathComponent("job")
        try MPIJob.succeed(ranks: 1, ["run", config, "--output-directory", reference.path])
        let log = scratch.appendingPathComponent("slurm").path

        let first = try batchJob(script: "cluster/multi-node.sh", arguments: [config, out.path], log: log,
                                 environment: ["SLURM_JOB_ID": "4242", "SLURM_NTASKS": "2", "SLURM_JOB_NUM_NODES": "2",
                                               "MYRIAD_STOP_AFTER_STEP": "2"])
        XCTAssertEqual(first.wait(), 85, first.output())
        XCTAssertEqual(try lines(log + ".scontrol"), ["requeue 4242"], "the stopped job must requeue itself")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("restart.h5").path), first.output())
        XCTAssertTrue(first.output().contains("requeued job 4242"), first.output())

        // The requeued job: same job id, SLURM_RESTART_COUNT set, no stop this time.
        let second = try batchJob(script: "cluster/multi-node.sh", arguments: [config, out.path], log: log,
                                  environment: ["SLURM_JOB_ID": "4242", "SLURM_NTASKS": "2", "SLURM_JOB_NUM_NODES": "2",
                                                "SLURM_RESTART_COUNT": "1"])
        XCTAssertEqual(second.wait(), 0, second.output())
        XCTAssertEqual(try lines(log + ".scontrol"), ["requeue 4242"], "a finished job is not requeued")
        let sruns = try lines(log + ".srun")
        XCTAssertEqual(sruns.count, 2)
        for line in sruns {
            XCTAssertTrue(line.hasPrefix("--cpus-per-task=1 --cpu-bind=cores "), line)
            XCTAssertTrue(line.contains("run \(config) --output-directory \(out.path)"), line)
        }
        XCTAssertFalse(sruns[0].contains("--resume"), "a first start must not resume: \(sruns[0])")
        XCTAssertTrue(sruns[1].hasSuffix("--resume"), "the requeued job must resume: \(sruns[1])")
        for file in ["members.h5", "statistics.h5"] {
            XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent(file)),
                           try Data(contentsOf: reference.appendingPathComponent(file)),
                           "\(file) after stop, requeue and resume differs from the uninterrupted run's")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("restart.h5").path))
    }

    /// array.sh, task 1 of an array over initial times every 12 h: its own configuration and directory; a real
    /// SIGUSR1 to the batch shell (as `--signal=B:USR1@T` sends it) reaches the ranks through srun, the task
    /// requeues itself and its next start resumes, ending with the uninterrupted run's members file.
    func testFakeClusterArrayTaskSignalledThroughTheBatchShellResumes() throws {
        let scratch = try makeScratchDirectory("myriad-cluster-array")
        // 20 steps of 8 members, a record after every step: long enough to be caught mid-run.
        let template = try writeConfiguration(in: scratch, times: ["@INITIAL_TIME@"], leadHours: 120, name: "template.yaml",
                                              extra: "restart: {every_steps: 1}")
        let time = "2000-01-02T12:00:00Z"
        let roots = scratch.appendingPathComponent("array")
        let task = roots.appendingPathComponent("2000-01-02T1200Z")     // no colons in paths: MPI-IO prefixes
        let log = scratch.appendingPathComponent("slurm").path
        let environment = ["SLURM_JOB_ID": "5001", "SLURM_ARRAY_JOB_ID": "5000", "SLURM_ARRAY_TASK_ID": "1", "SLURM_NTASKS": "2"]
        let arguments = [template, "2000-01-02T00:00:00Z", "12", roots.path]
        let first = try batchJob(script: "cluster/array.sh", arguments: arguments, log: log, environment: environment)
        try first.waitFor(file: task.appendingPathComponent("restart.h5").path)
        kill(first.process.processIdentifier, SIGUSR1)
        XCTAssertEqual(first.wait(), 85, first.output())
        XCTAssertEqual(try lines(log + ".scontrol"), ["requeue 5001"], "the array task must requeue itself (its own job id)")
        let configuration = try String(contentsOf: task.appendingPathComponent("run.yaml"), encoding: .utf8)
        XCTAssertTrue(configuration.contains("times: [\"\(time)\"]"), configuration)

        var again = environment
        again["SLURM_RESTART_COUNT"] = "1"
        let second = try batchJob(script: "cluster/array.sh", arguments: arguments, log: log, environment: again)
        XCTAssertEqual(second.wait(timeout: 300), 0, second.output())
        XCTAssertTrue(try lines(log + ".srun").last?.hasSuffix("--resume") ?? false)
        // The uninterrupted run of the task's configuration (members.h5 names its configuration file, so the same file).
        let reference = scratch.appendingPathComponent("reference")
        try MPIJob.succeed(ranks: 2, ["run", task.appendingPathComponent("run.yaml").path, "--output-directory", reference.path],
                           timeout: 300)
        XCTAssertEqual(try Data(contentsOf: task.appendingPathComponent("members.h5")),
                       try Data(contentsOf: reference.appendingPathComponent("members.h5")),
                       "array task after SIGUSR1, requeue and resume differs from the uninterrupted run")
    }

    /// A cancel (`scancel JOBID`: SIGTERM to the ranks and to the batch shell) is not requeued: the ranks write
    /// their record and exit 143, the script does not pass TERM on, keeps the record and does not requeue.
    func testFakeClusterCancelStopsWithARecordAndIsNotRequeued() throws {
        let scratch = try makeScratchDirectory("myriad-cluster-cancel")
        let config = try writeConfiguration(in: scratch, times: ["2000-01-02T00:00:00Z"], leadHours: 120,
                                            extra: "restart: {every_steps: 1}")
        let out = scratch.appendingPathComponent("job"), log = scratch.appendingPathComponent("slurm").path
        let job = try batchJob(script: "cluster/one-node.sh", arguments: [config, out.path], log: log,
                               environment: ["SLURM_JOB_ID": "77", "SLURM_NTASKS": "2"])
        try job.waitFor(file: out.appendingPathComponent("restart.h5").path)
        let ranks = descendants(of: job.process.processIdentifier).dropFirst()     // below srun (here mpirun)
        XCTAssertEqual(ranks.count, 2, "rank processes: \(ranks)")
        kill(job.process.processIdentifier, SIGTERM)
        for rank in ranks { kill(rank, SIGTERM) }
        XCTAssertEqual(job.wait(), 143, job.output())
        XCTAssertEqual(try lines(log + ".scontrol"), [], "a cancelled job must not requeue itself:\n\(job.output())")
        XCTAssertTrue(job.output().contains("myriad-job: cancelled (SIGTERM"), job.output())
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("restart.h5").path), "the record is kept")
    }

    /// srun's status is not the outcome: srun exiting 0 with nothing finished (a node failure) is a failure, and
    /// srun failing before any rank ran names what to check. srun gets --mpi=pmix when `srun --mpi=list` offers
    /// it; MYRIAD_SRUN_FLAGS replaces that choice.
    func testFakeClusterJudgesTheRunByItsFilesAndPicksPMIx() throws {
        let scratch = try makeScratchDirectory("myriad-cluster-outcome")
        let config = try writeConfiguration(in: scratch, times: ["2000-01-02T00:00:00Z"])
        let out = scratch.appendingPathComponent("job"), log = scratch.appendingPathComponent("slurm").path
        let base = ["SLURM_JOB_ID": "78", "SLURM_NTASKS": "2"]
        let zero = try batchJob(script: "cluster/one-node.sh", arguments: [config, out.path], log: log,
                                environment: base.merging(["FAKE_SRUN_EXIT": "0"]) { $1 })
        XCTAssertEqual(zero.wait(), 1, zero.output())
        XCTAssertFalse(zero.output().contains("myriad-job: finished"), zero.output())
        XCTAssertTrue(zero.output().contains("did not finish and left no restart record"), zero.output())
        let failed = try batchJob(script: "cluster/one-node.sh", arguments: [config, out.path], log: log,
                                  environment: base.merging(["FAKE_SRUN_EXIT": "7", "FAKE_SLURM_MPI": "pmi2"]) { $1 })
        XCTAssertEqual(failed.wait(), 7, failed.output())
        XCTAssertTrue(failed.output().contains("srun --mpi=list offers no pmix"), failed.output())
        XCTAssertTrue(failed.output().contains("set MYRIAD_SRUN_FLAGS=--mpi=pmix"), failed.output())
        let chosen = try batchJob(script: "cluster/one-node.sh", arguments: [config, out.path], log: log,
                                  environment: base.merging(["FAKE_SRUN_EXIT": "0", "MYRIAD_SRUN_FLAGS": "--mpi=pmi2 --exact"]) { $1 })
        XCTAssertEqual(chosen.wait(), 1, chosen.output())
        let sruns = try lines(log + ".srun")
        XCTAssertEqual(sruns.count, 3)
        XCTAssertTrue(sruns[0].hasPrefix("--cpus-per-task=1 --cpu-bind=cores --mpi=pmix "), sruns[0])
        XCTAssertFalse(sruns[1].contains("--mpi"), sruns[1])
        XCTAssertTrue(sruns[2].hasPrefix("--cpus-per-task=1 --cpu-bind=cores --mpi=pmi2 --exact "), sruns[2])
    }

    /// Submitted from outside the checkout without MYRIAD_HOME: the job says what to set.
    func testBatchScriptOutsideTheCheckoutSaysToSetMyriadHome() throws {
        let scratch = try makeScratchDirectory("myriad-cluster-outside")
        for script in ["cluster/one-node.sh", "cluster/multi-node.sh", "cluster/array.sh", "cluster/hens.sh"] {
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SLURM_") && $0.key != "MYRIAD_HOME" }
            environment["SLURM_SUBMIT_DIR"] = scratch.path
            let job = try BackgroundProcess(executable: "/bin/bash", arguments: [Self.root.appendingPathComponent(script).path, "a", "b"],
                                            environment: environment, directory: scratch)
            XCTAssertEqual(job.wait(), 2, "\(script): \(job.output())")
            XCTAssertTrue(job.output().contains("export MYRIAD_HOME=/path/to/myriad"), "\(script): \(job.output())")
        }
    }

    /// SIGTERM to the ranks: each stops with its record and exits 143 (a cancel), not 85 (requeue me).
    func testSigtermStopsTheRanksWithARecordAndStatus143() throws {
        let scratch = try makeScratchDirectory("myriad-run-sigterm")
        let config = try writeConfiguration(in: scratch, times: ["2000-01-02T00:00:00Z"], leadHours: 120,
                                            extra: "restart: {every_steps: 1}")
        let out = scratch.appendingPathComponent("out")
        let job = try BackgroundProcess.mpirun(ranks: 2, ["run", config, "--output-directory", out.path])
        try job.waitFor(file: out.appendingPathComponent("restart.h5").path)
        let ranks = job.children()
        XCTAssertEqual(ranks.count, 2, "rank processes: \(ranks)")
        for rank in ranks { kill(rank, SIGTERM) }
        XCTAssertEqual(job.wait(), 143, job.output())
        XCTAssertTrue(job.output().contains("stopped by a signal"), job.output())
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("members.h5.partial").path))
    }

    /// SIGTERM to mpirun makes mpirun exit 1 whatever the ranks did; launch/ensemble reads the output
    /// directory instead: the ranks' restart record of this run → 85.
    func testLaunchEnsembleAfterSigtermToMpirunReportsTheRecord() throws {
        let scratch = try makeScratchDirectory("myriad-launch-sigterm")
        let config = try writeConfiguration(in: scratch, times: ["2000-01-02T00:00:00Z"], leadHours: 120,
                                            extra: "restart: {every_steps: 1}")
        let out = scratch.appendingPathComponent("out")
        let job = try batchJob(script: "launch/ensemble", arguments: [config, "2", "--output-directory", out.path],
                               log: scratch.appendingPathComponent("log").path, environment: [:])
        try job.waitFor(file: out.appendingPathComponent("restart.h5").path)
        let mpirun = try XCTUnwrap(job.children().first)
        kill(mpirun, SIGTERM)
        XCTAssertEqual(job.wait(), 85, job.output())
        XCTAssertTrue(job.output().contains("stopped with a restart record"), job.output())
    }

    /// launch/ensemble runs a configuration on N ranks with this machine's mpirun flags.
    func testLaunchEnsembleRunsAConfigurationOnTwoRanks() throws {
        let scratch = try makeScratchDirectory("myriad-launch-ensemble")
        let config = try writeConfiguration(in: scratch, times: ["2000-01-02T00:00:00Z"], leadHours: 12)
        let out = scratch.appendingPathComponent("out")
        let job = try batchJob(script: "launch/ensemble", arguments: [config, "2", "--output-directory", out.path],
                               log: scratch.appendingPathComponent("log").path, environment: [:])
        XCTAssertEqual(job.wait(), 0, job.output())
        XCTAssertTrue(job.output().contains("2 rank(s) = 2 ensemble group(s)"), job.output())
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("members.h5").path), job.output())
    }

    // MARK: - Helpers

    func initialStates() throws -> String { try DemoStates.path() }

    /// 2 demo checkpoints × the given initial times × 4 bred-vector members (2 pairs, a control), in-situ
    /// statistics on.
    func writeConfiguration(in directory: URL, times: [String], leadHours: Int = 24, name: String = "run.yaml",
                            extra: String = "") throws -> String {
        let checkpoints = (0..<2).map { Self.root.appendingPathComponent("data/demo/demo-sfno-\($0).h5").path }
        let yaml = """
            checkpoints: [\(checkpoints.joined(separator: ", "))]
            initial_conditions:
              file: \(try initialStates())
              times: [\(times.map { "\"\($0)\"" }.joined(separator: ", "))]
            lead_hours: \(leadHours)
            members: 4
            control: true
            perturbation:
              kind: bred-vector
              seeded_variables: [height]
              target_rmse: {height: 13.7, u: 0.457, v: 0.438, vorticity: 3.78e-7}
            seed: 7
            output:
              directory: \(directory.appendingPathComponent("default-out").path)
              variables: [height, u]
            statistics:
              quantiles: [0.5]
            \(extra)
            """
        let path = directory.appendingPathComponent(name).path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A process's descendants, depth first (its children, theirs, …).
    func descendants(of pid: pid_t) -> [pid_t] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { pid_t($0) }.flatMap { [$0] + descendants(of: $0) }
    }

    func lines(_ path: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// Runs a command in the repository root; returns its status and output (stdout and stderr).
    func shell(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = Self.root
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

extension ClusterScriptTests {
    /// A batch script run as Slurm would run its body: `bash SCRIPT ARGUMENTS` from the repository root (the
    /// submit directory), with the stub srun and scontrol first on PATH, SLURM_* variables of one job (any
    /// from the test's own environment removed), one CPU per task, and MYRIAD pointing at the built executable.
    func batchJob(script: String, arguments: [String], log: String, environment extra: [String: String]) throws -> BackgroundProcess {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SLURM_") }
        environment["PATH"] = Self.fakeSlurm.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["SLURM_SUBMIT_DIR"] = Self.root.path
        environment["SLURM_CPUS_PER_TASK"] = "1"
        environment["MYRIAD"] = MPIJob.executable
        environment["FAKE_SLURM_LOG"] = log
        environment.merge(extra) { $1 }
        return try BackgroundProcess(executable: "/bin/bash", arguments: [script] + arguments, environment: environment,
                                     directory: Self.root)
    }
}
