import ArgumentParser
import Ensemble
import Foundation
import Logging
import MPI
import ShallowWater

/// `myriad run`: the ensemble runner (docs/configuration.md, docs/user-guide.md).
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an ensemble: checkpoints × initial times × perturbations, with member output, statistics and scores.",
        discussion: """
            CONFIG is a YAML run configuration (every key: docs/configuration.md). Without CONFIG, the built-in \
            demo runs (data/demo/run.yaml: 4 demo SFNOs × 16 bred-vector members on the shallow-water world, \
            5 days; its initial states are made first when missing). SIGUSR1 or SIGTERM stops the run after the \
            current step with a restart record (exit status 85 after SIGUSR1, 143 after SIGTERM); --resume \
            carries on with identical results.
            """)

    @Argument(help: "YAML run configuration (default: the built-in demo, data/demo/run.yaml).")
    var config: String?

    @Flag(name: .long, help: "Carry on a stopped run from its restart record.")
    var resume = false

    @Option(name: .long, help: "Rerun only these member ids (comma-separated), bit for bit as in the full run; needs --output-directory.")
    var members: String?

    @Option(name: .long, help: "Write into this directory instead of the configuration's output.directory.")
    var outputDirectory: String?

    @Flag(name: .long, help: "Replace the files of an earlier run in the output directory (a fresh run refuses them otherwise).")
    var overwrite = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        runSPMD(global) { world, logger in
            // Made absolute before configurationPath may change into the demo's checkout.
            let outputDirectory = config == nil ? outputDirectory.map { URL(fileURLWithPath: $0).path } : outputDirectory
            let path = try configurationPath(logger: world.isRoot ? logger : nil)
            var configuration = try RunConfiguration(contentsOf: path)
            let selection = try parseMembers()
            if resume && overwrite {
                throw UsageError("--resume carries on the run in the output directory and --overwrite replaces it; give one of them")
            }
            if selection != nil && outputDirectory == nil {
                throw UsageError("--members reruns some members only; give --output-directory so that the full run's files are not replaced")
            }
            if let outputDirectory { configuration.output.directory = outputDirectory }
            if Self.isDemo(path) { try makeDemoStates(configuration, world: world, logger: logger) }
            guard world.size % configuration.layout.size == 0 else {
                throw LayoutError.worldDoesNotDivide(worldSize: world.size, layout: configuration.layout)
            }
            let plan = try EnsemblePlan(configuration: configuration, groupCount: world.size / configuration.layout.size,
                                        selection: selection)
            if world.isRoot { logger.info("\(plan.summary(ranks: world.size))") }
            let runner = EnsembleRunner(plan: plan, world: world, directory: configuration.output.directory, resume: resume,
                                        overwrite: overwrite, log: { logger.info("\($0)") }, warn: { logger.warning("\($0)") })
            switch try runner.run() {
            case .stopped:
                MPIEnvironment.finish()
                Foundation.exit(StopSignal.exitCode)
            case .finished(let summary):
                if world.isRoot { logger.info("\(summary.report())") }
            }
        }
    }

    static let demoConfiguration = "data/demo/run.yaml"

    /// The configuration file: CONFIG, or the demo's, found in the working directory or in the checkout the
    /// executable sits in (.build/release/myriad → ../../data/demo); in the latter case the checkout becomes the
    /// working directory, since the demo's paths are relative to it.
    private func configurationPath(logger: Logger?) throws -> String {
        if let config { return config }
        let demo = Self.demoConfiguration
        if FileManager.default.fileExists(atPath: demo) { return demo }
        if let root = Self.checkoutOfExecutable(), FileManager.default.changeCurrentDirectoryPath(root) {
            logger?.info("demo: running \(root)/\(demo) in \(root)")
            return demo
        }
        throw UsageError("no configuration given and the built-in demo (\(demo)) is neither in the working directory nor in the checkout of the executable; run `myriad run` from the repository root, or give a configuration file (docs/configuration.md)")
    }

    /// The Myriad checkout holding the executable (up to three directories above it, through the path it was
    /// started by and the resolved one), recognised by the demo's configuration.
    static func checkoutOfExecutable() -> String? {
        var starts = [String]()
        if let first = CommandLine.arguments.first, first.contains("/") { starts.append(URL(fileURLWithPath: first).path) }
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { starts.append(resolved) }
        for start in starts {
            var directory = URL(fileURLWithPath: start).deletingLastPathComponent()
            for _ in 0..<4 {
                if FileManager.default.fileExists(atPath: directory.appendingPathComponent(demoConfiguration).path) {
                    return directory.path
                }
                directory.deleteLastPathComponent()
            }
        }
        return nil
    }

    /// Whether the configuration is the built-in demo's (however it was named): then its states are made when missing.
    static func isDemo(_ path: String) -> Bool {
        guard let given = realpath(path, nil) else { return false }
        defer { free(given) }
        var candidates = [demoConfiguration]
        if let root = checkoutOfExecutable() { candidates.append("\(root)/\(demoConfiguration)") }
        return candidates.contains { candidate in
            guard let resolved = realpath(candidate, nil) else { return false }
            defer { free(resolved) }
            return strcmp(given, resolved) == 0
        }
    }

    private func parseMembers() throws -> Set<Int>? {
        guard let members else { return nil }
        var ids = Set<Int>()
        for item in members.split(separator: ",") {
            guard let id = Int(item.trimmingCharacters(in: .whitespaces)), id >= 0 else {
                throw UsageError("--members must be comma-separated member ids such as 17,42; got '\(members)'")
            }
            ids.insert(id)
        }
        guard !ids.isEmpty else { throw UsageError("--members names no member") }
        return ids
    }

    /// The demo's initial states and truth: trajectory 0 of the held-out truth of docs/demo.md, made by the
    /// shallow-water model when missing (2 s).
    private func makeDemoStates(_ configuration: RunConfiguration, world: Communicator, logger: Logger) throws {
        guard let file = configuration.initialConditions.file, !FileManager.default.fileExists(atPath: file) else { return }
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent().path
        if world.isRoot { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        try world.barrier()
        if world.isRoot { logger.info("demo: making the initial states and truth \(file) with the shallow-water model") }
        var states = ShallowWaterTrajectories()
        (states.nlat, states.nlon, states.grid) = (64, 128, .equiangular)
        (states.initial, states.seed, states.trajectories) = (.random, 2, 1)
        (states.days, states.outputEvery) = (6, 6)
        try states.write(to: file, world: world) { logger.info("\($0)") }
        try world.barrier()
    }
}

extension RunSummary {
    static let tableMetrics = ["rmse", "spread", "crps", "spread_skill", "outlier_fraction"]

    /// Where the outputs are, where the time went, what went wrong and the scores, for the end of a run.
    func report() -> String {
        var lines = ["run finished: \(members) members in \(String(format: "%.1f", seconds)) s (\(String(format: "%.1f", memberStepsPerSecond)) member-steps/s); outputs in \(directory)/: \(files.joined(separator: ", "))"]
        let stepping = timings.first { $0.part == "steps" }
        lines.append("  time on rank 0 (wall / CPU): " + timings.map { part in
            var share = ""
            if let stepping, part.part != "steps", stepping.seconds > 0, stepping.cpuSeconds > 0 {
                share = String(format: " (%.1f %% / %.1f %% of the steps)", 100 * part.seconds / stepping.seconds,
                               100 * part.cpuSeconds / stepping.cpuSeconds)
            }
            return "\(part.part) \(String(format: "%.2f / %.2f", part.seconds, part.cpuSeconds)) s\(share)"
        }.joined(separator: ", "))
        if !invalidMembers.isEmpty {
            lines.append("  \(invalidMembers.count) member(s) turned non-finite and were left out of the statistics: \(invalidMembers.prefix(20).map(String.init).joined(separator: ", "))")
        }
        if let scoresCSV, let table = scoreTable(scoresCSV) { lines.append(table) }
        return lines.joined(separator: "\n")
    }

    /// Ensemble-mean RMSE, spread, CRPS, spread–skill (Fortin's) and outlier fraction per variable and lead
    /// time, from scores.csv: the calibration at a glance (1 and 2/(M + 1) for a calibrated ensemble).
    private func scoreTable(_ path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        var values: [String: Double] = [:]
        var variables: [String] = [], leads: [String] = []
        for row in text.split(separator: "\n").dropFirst() {
            let fields = row.split(separator: ",").map(String.init)
            guard fields.count == 4, Self.tableMetrics.contains(fields[2]), let value = Double(fields[3]) else { continue }
            if !variables.contains(fields[0]) { variables.append(fields[0]) }
            if !leads.contains(fields[1]) { leads.append(fields[1]) }
            values["\(fields[0])|\(fields[1])|\(fields[2])"] = value
        }
        guard !variables.isEmpty else { return nil }
        func cell(_ v: String, _ lead: String) -> String {
            Self.tableMetrics.map { values["\(v)|\(lead)|\($0)"].map { String(format: "%.3g", $0) } ?? "–" }
                .joined(separator: " / ")
        }
        let cells = leads.map { lead in variables.map { cell($0, lead) } }
        let width = (cells.flatMap { $0 } + variables).map(\.count).max()! + 3
        func row(_ head: String, _ items: [String]) -> String {
            ("    " + head + items.map { $0.padding(toLength: width, withPad: " ", startingAt: 0) }.joined())
                .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var lines = ["  scores (\(path)): ensemble-mean RMSE / spread / CRPS / spread–skill / outlier fraction (calibrated: 1 and \(String(format: "%.3g", 2 / Double(ensembleSize + 1))))",
                     row("lead     ", variables)]
        for (lead, items) in zip(leads, cells) {
            lines.append(row(Double(lead).map { String(format: "%5.0f h   ", $0) } ?? lead, items))
        }
        return lines.joined(separator: "\n")
    }
}
