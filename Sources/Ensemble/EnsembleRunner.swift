import Foundation
import MPI
import ModelInterface
import SFNO
import Sphere
import Statistics
import Storage

/// How a run ended.
public enum RunOutcome: Sendable {
    /// Every step done, files renamed to their final names.
    case finished(RunSummary)
    /// Stopped by SIGTERM/SIGUSR1 after `step` with its restart record written.
    case stopped(step: Int)
}

/// What a finished run produced, for the closing message.
public struct RunSummary: Sendable {
    public let directory: String
    public let files: [String]
    public let members: Int
    /// Members per initial time: the M of the scores.
    public let ensembleSize: Int
    public let invalidMembers: [Int]
    public let seconds: Double
    public let memberStepsPerSecond: Double
    /// Rank 0's wall-clock seconds in each part of the run: "steps" (the networks), "output" (member
    /// writes), "statistics" (in-situ statistics and scores), "restart" (records).
    public let timings: [(part: String, seconds: Double, cpuSeconds: Double)]
    /// The scores file (scores.csv) when scores were computed.
    public let scoresCSV: String?
}

/// Runs an `EnsemblePlan` on every rank of `world`: loads this rank's checkpoints, builds its members'
/// initial states (read, perturbed, normalised), then steps all of them together, step by step, so that
/// after each step every rank can write its members' fields collectively, the statistics can be reduced
/// across ranks, and one restart record holds the whole run at that step.
///
/// Layout independence: a member's trajectory depends only on its checkpoint, initial state and
/// perturbation key (seed, member id, purpose); which rank runs it changes nothing, so the member files
/// are bitwise the same at any rank count and `--members` reruns single members bit for bit.
public final class EnsembleRunner {
    public let plan: EnsemblePlan
    public let world: Communicator
    public let directory: String
    public let resume: Bool
    /// Whether a fresh run may replace another run's files in `directory` (`--overwrite`).
    public let overwrite: Bool
    private let log: (String) -> Void
    private let warn: (String) -> Void
    private let isRoot: Bool

    /// - log: progress and messages (printed by rank 0); warn: problems of single members (printed by any rank)
    public init(plan: EnsemblePlan, world: Communicator, directory: String, resume: Bool, overwrite: Bool = false,
                log: @escaping (String) -> Void, warn: @escaping (String) -> Void) {
        self.plan = plan
        self.world = world
        self.directory = directory
        self.resume = resume
        self.overwrite = overwrite
        self.log = log
        self.warn = warn
        isRoot = world.rank == 0
    }

    /// The configuration's fingerprint, which a restart record must carry.
    public var fingerprint: String {
        var text = plan.configuration.source
        if let selection = plan.selection { text += "\n--members " + selection.sorted().map(String.init).joined(separator: ",") }
        return fnv1a64Hex(text)
    }

    public func run() throws -> RunOutcome {
        let clock = Date()
        StopSignal.install()
        // Ensemble groups of h × w × channel ranks; every rank of a group holds the group's members whole
        // and steps them together (`ModelGroupForecastModel`); the group's root alone writes them.
        let grid = try ProcessGrid(world: world, layout: plan.configuration.layout)
        let members = plan.members(ofGroup: grid.ensembleIndex)
        let writes = grid.model.rank == 0
        let ownMembers = writes ? members : []
        let offset = plan.members.firstIndex(of: members.first ?? Member(time: 0, checkpoint: 0, perturbation: 0, ensemble: 0, id: 0)) ?? 0
        let runDirectory = RunDirectory(path: directory)
        try runDirectory.prepare(world: world, configurationFile: plan.configuration.file, selection: plan.selection,
                                 resume: resume, overwrite: overwrite, log: { if self.isRoot { self.log($0) } })
        defer { if isRoot { runDirectory.releaseLock() } }
        // Before any model is loaded: the inputs' contents (the truth at every scored lead checked on the way).
        let inputs = try InputFingerprint.compute(plan: plan, world: world)

        // Models: only the checkpoints of this group's members.
        var models: [Int: any ForecastModel] = [:]
        for checkpoint in Set(members.map(\.checkpoint)).sorted() {
            models[checkpoint] = try plan.model.makeModel(checkpoint, processGrid: grid)
        }
        if isRoot, grid.model.size > 1, let model = models.values.first as? ModelGroupForecastModel {
            log(String(format: "model parallel: %d rank(s) per member %@, %.1f MB of weights per rank and checkpoint",
                       grid.model.size, plan.configuration.layout.description, Double(model.weightBytes) / 1e6))
        }
        // Every rank steps the same batches (the ranks of a model group must): the smallest choice wins.
        let batch = Int(try world.allreduced(Int32(plan.membersPerForward), .min))
        if isRoot && batch != plan.membersPerForward {
            log("\(batch) member(s) per forward pass: the least any rank's memory allows")
        }
        let record = RestartRecord(directory: directory)
        var states: [[Float]]
        var valid: [Bool]
        var firstStep: Int
        if resume {
            let restored = try record.read(fingerprint: fingerprint, inputs: inputs, plan: plan, offset: offset, count: members.count)
            (states, valid, firstStep) = (restored.states, restored.valid, restored.step + 1)
            if isRoot { log("resuming after step \(restored.step) of \(plan.steps) from \(record.path)") }
        } else {
            states = try initialStates(members, models: models, batch: batch)
            valid = Array(repeating: true, count: members.count)
            firstStep = 0
        }

        let output = plan.configuration.output.members
            ? try MemberOutput(plan: plan, directory: directory, communicator: world, resume: resume) : nil
        let statistics = try makeStatistics()
        let truth = try plan.configuration.statistics.truth.map {
            try InitialConditionSource(location: .file($0), dhours: plan.stepHours)
        }
        let totalMemberSteps = plan.members.count * plan.steps
        let progress = isRoot ? RunProgress(totalMemberSteps: totalMemberSteps, doneBefore: max(firstStep - 1, 0) * plan.members.count,
                                            interval: plan.configuration.progressSeconds, write: log) : nil
        var written = firstStep == 0 ? 0 : plan.outputSteps.filter { $0 < firstStep }.count * plan.members.count * plan.outputBytesPerMemberStep

        var timer = PartTimer()
        // (A record of the last step, left by a run killed before it finished, leaves nothing to step.)
        for step in stride(from: firstStep, through: plan.steps, by: 1) {
            timer.start("steps")
            if step > 0 {
                try stepMembers(members, states: &states, valid: valid, step: step, models: models, batch: batch)
            }
            // Validity is decided on the physical state, the one written and reduced: a state finite in
            // normalised units can overflow once denormalised.
            let isOutputStep = plan.outputSteps.contains(step)
            let keep = isOutputStep && writes
            var physical: [[Float]] = []
            for (j, member) in members.enumerated() {
                guard valid[j] else {
                    if keep { physical.append(Self.fill(count: plan.outputChannels.count * plan.pointCount)) }
                    continue
                }
                var x = states[j]
                models[member.checkpoint]!.denormalise(&x)
                if !x.allSatisfy(\.isFinite) {
                    valid[j] = false
                    if writes { warn("\(member) is not finite at step \(step); it is flagged in member_valid, written as fill values from this lead on and left out of the statistics") }
                    x = Self.fill(count: x.count)
                }
                // The derived variables (output.derived) from the physical state, written and reduced with it.
                if keep {
                    if valid[j] { plan.appendDerived(to: &x) } else { x = Self.fill(count: plan.outputChannels.count * plan.pointCount) }
                    physical.append(x)
                }
            }
            if let slot = plan.outputSteps.firstIndex(of: step) {
                timer.start("output")
                try output?.write(slot: slot, members: ownMembers, states: physical)
                timer.start("statistics")
                if let statistics {
                    try addStatistics(statistics, slot: slot, step: step, members: ownMembers, states: physical, valid: valid, truth: truth)
                }
                written += plan.members.count * plan.outputBytesPerMemberStep
            }
            timer.start("restart")
            let stopping = try world.allreduced(Int32(StopSignal.isRequested(afterStep: step) ? 1 : 0), .max) != 0
            let every = plan.configuration.restartEvery
            if (every > 0 && step % every == 0) || stopping {
                try output?.flush()
                try statistics?.flush()
                try record.write(step: step, fingerprint: fingerprint, inputs: inputs, plan: plan, offset: offset,
                                 states: writes ? states : [], valid: writes ? valid : [], communicator: world)
            }
            timer.stop()
            progress?.update(step: step, steps: plan.steps, memberSteps: step * plan.members.count,
                             membersDone: step == plan.steps ? plan.members.count : 0, members: plan.members.count,
                             outputBytes: plan.configuration.output.members ? written : 0, force: step == plan.steps || stopping)
            if stopping && step < plan.steps {
                output?.close()
                statistics?.closeForRestart()
                if isRoot { log("stopped by a signal after step \(step) of \(plan.steps); restart record \(record.path) written. Resume with: myriad run \(plan.configuration.file) --resume --output-directory \(directory)\(plan.selection.map { " --members " + $0.sorted().map(String.init).joined(separator: ",") } ?? "")") }
                return .stopped(step: step)
            }
        }

        // Flags of every member (for the summary and the file).
        try output?.finish(members: ownMembers, valid: valid)
        var files: [String] = output != nil ? [MemberOutput.fileName] : []
        if let statistics {
            try statistics.finish()
            files += [InSituStatistics.statisticsFileName] + (truth != nil ? [InSituStatistics.scoresFileName, InSituStatistics.scoresCSVName] : [])
        }
        let localInvalid = zip(ownMembers, valid).filter { !$0.1 }.map { Int32($0.0.id) }
        let invalid = try world.allgatherv(localInvalid).values.map(Int.init).sorted()
        if invalid.count == plan.members.count {
            throw RunError("every member (\(invalid.count)) turned non-finite, so the run has no forecast: its files in \(directory) hold fill values and member_valid 0. Check the checkpoints (a diverged training?) and the initial conditions")
        }
        try world.barrier()
        if isRoot { try? FileManager.default.removeItem(atPath: record.path) }
        let seconds = Date().timeIntervalSince(clock)
        return .finished(RunSummary(directory: directory, files: files, members: plan.members.count,
                                    ensembleSize: plan.membersPerTime, invalidMembers: invalid,
                                    seconds: seconds,
                                    memberStepsPerSecond: Double(plan.members.count * (plan.steps - max(firstStep - 1, 0))) / seconds,
                                    timings: timer.totals,
                                    scoresCSV: statistics != nil && truth != nil ? "\(directory)/\(InSituStatistics.scoresCSVName)" : nil))
    }

    /// One step of the group's valid members, in member order, `batch` members of one checkpoint per forward
    /// pass (`ForecastModel.stepNormalised(members:count:validTimes:)`): a member's numbers do not depend on
    /// its batch, so neither on `batch` nor on which members turned invalid before.
    private func stepMembers(_ members: [Member], states: inout [[Float]], valid: [Bool], step: Int,
                             models: [Int: any ForecastModel], batch: Int) throws {
        let stepping = members.indices.filter { valid[$0] }
        var start = 0
        while start < stepping.count {
            // Members of one checkpoint are contiguous (checkpoint-major order).
            let checkpoint = members[stepping[start]].checkpoint
            var end = start
            while end < stepping.count && end - start < batch && members[stepping[end]].checkpoint == checkpoint { end += 1 }
            let chunk = Array(stepping[start..<end])
            start = end
            let size = states[chunk[0]].count
            var together = [Float]()
            together.reserveCapacity(chunk.count * size)
            for j in chunk { together += states[j] }
            let validTimes = chunk.map {
                plan.initialTimes[members[$0].time].addingTimeInterval(Double((step - 1) * plan.stepHours * 3600))
            }
            try models[checkpoint]!.stepNormalised(members: &together, count: chunk.count, validTimes: validTimes)
            for (slot, j) in chunk.enumerated() {
                states[j] = Array(together[(slot * size)..<((slot + 1) * size)])
                if Self.poisoned.contains(members[j].id) && step == 1 { states[j][0] = .nan }
            }
        }
    }

    /// A member's state as written once it is flagged: netCDF's fill value (NaN) everywhere.
    static func fill(count: Int) -> [Float] { [Float](repeating: .nan, count: count) }

    /// Members whose state the tests make non-finite after the first step (`MYRIAD_TEST_NONFINITE_MEMBERS`,
    /// ids comma-separated), to check that a blown-up member is flagged and left out while the run goes on.
    static let poisoned: Set<Int> = Set((ProcessInfo.processInfo.environment["MYRIAD_TEST_NONFINITE_MEMBERS"] ?? "")
        .split(separator: ",").compactMap { Int($0) })

    // MARK: - Statistics

    /// The in-situ statistics of the output variables at the output lead times, on the whole grid.
    private func makeStatistics() throws -> InSituStatistics? {
        let c = plan.configuration.statistics
        guard c.enabled else { return nil }
        let weights = Quadrature(grid: plan.grid, nlat: plan.nlat).weights
        let settings = StatisticsSettings(
            thresholds: c.thresholds, quantileLevels: c.quantiles, kSigma: c.kSigma, spectra: c.spectra, grid: plan.grid,
            seed: plan.configuration.seed, statistics: true, scores: c.truth != nil,
            extremeForecastIndex: c.efi.map { ExtremeForecastIndexSettings(climatePath: $0.climate, eps: $0.eps) })
        return try InSituStatistics(
            variables: plan.outputVariables.map { plan.outputChannels[$0] }, nlat: plan.nlat, nlon: plan.nlon,
            latitudes: plan.latitudes, longitudes: plan.longitudes,
            pointWeights: (0..<plan.pointCount).map { weights[$0 / plan.nlon] }, initialTimes: plan.initialTimes,
            leadHours: plan.outputSteps.map { Double($0 * plan.stepHours) }, membersPerTime: plan.membersPerTime,
            settings: settings, communicator: world, directory: directory, resume: resume)
    }

    /// One output step's members into the statistics; the truth at each initial time's valid time, where
    /// the truth file has it.
    private func addStatistics(_ statistics: InSituStatistics, slot: Int, step: Int, members: [Member], states: [[Float]],
                               valid: [Bool], truth: InitialConditionSource?) throws {
        let variables = plan.outputVariables
        let n = plan.pointCount
        let inputs = members.indices.map { j -> StatisticsMember in
            var fields = [Float]()
            fields.reserveCapacity(variables.count * n)
            for v in variables { fields += states[j][(v * n)..<((v + 1) * n)] }
            return StatisticsMember(timeIndex: members[j].time, ensembleIndex: members[j].ensemble, fields: fields, isValid: valid[j])
        }
        try statistics.add(lead: slot, members: inputs) { t in
            guard let truth else { return nil }
            let time = self.plan.initialTimes[t].addingTimeInterval(Double(step * self.plan.stepHours * 3600))
            // Past the end of the truth there is nothing to score; every rank reads the same file alike.
            guard truth.has(time) else { return nil }
            return try self.plan.truthFields(truth, time: time)
        }
    }

    // MARK: - Initial states

    /// Each member's normalised initial state: the state read at its initial time, perturbed as configured
    /// (bred vectors bred `batch` pairs at a time).
    private func initialStates(_ members: [Member], models: [Int: any ForecastModel], batch: Int) throws -> [[Float]] {
        let source = try InitialConditionSource(configuration: plan.configuration.initialConditions, modelStepHours: plan.stepHours)
        if let settings = plan.configuration.initialConditions.analysisError {
            source.analysisError = try AnalysisError(settings: settings, plan: plan)
        }
        let perturber = try MemberPerturbation(plan: plan, source: source, breedingBatch: batch)
        var cache: [Int: [Float]] = [:]
        return try members.map { member in
            let x0: [Float]
            if let cached = cache[member.time] { x0 = cached } else {
                x0 = try source.read(time: plan.initialTimes[member.time], channels: plan.stateChannels, nlat: plan.nlat, nlon: plan.nlon)
                cache = [member.time: x0]
            }
            let model = models[member.checkpoint]!
            return try perturber.normalisedInitialState(member, x0: x0, model: model)
        }
    }
}

/// Wall-clock and CPU seconds per named part of a loop: `start` ends the running part and begins another.
/// CPU time (of the whole process) says what a part costs when the machine is shared; wall time includes
/// waiting for other ranks in collectives.
struct PartTimer {
    private(set) var totals: [(part: String, seconds: Double, cpuSeconds: Double)] = []
    private var running: (part: String, since: Date, cpu: Double)?

    mutating func start(_ part: String) {
        stop()
        running = (part, Date(), Self.cpuSeconds())
    }

    mutating func stop() {
        guard let running else { return }
        let elapsed = Date().timeIntervalSince(running.since)
        let cpu = Self.cpuSeconds() - running.cpu
        if let i = totals.firstIndex(where: { $0.part == running.part }) {
            totals[i].seconds += elapsed
            totals[i].cpuSeconds += cpu
        } else {
            totals.append((running.part, elapsed, cpu))
        }
        self.running = nil
    }

    static func cpuSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}

/// FNV-1a, 64 bits, as 16 hex digits: a stable fingerprint of a configuration.
func fnv1a64Hex(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
    }
    return String(hash, radix: 16).leftPadded(to: 16)
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
