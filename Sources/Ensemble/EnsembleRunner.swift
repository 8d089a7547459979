import Foundation
import MPI
import SFNO
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
    public let invalidMembers: [Int]
    public let seconds: Double
    public let memberStepsPerSecond: Double
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
    private let log: (String) -> Void
    private let isRoot: Bool
    /// Statistics of the run, when configured (set up by `makeStatistics`).
    public var statisticsHook: StatisticsHook?

    public init(plan: EnsemblePlan, world: Communicator, directory: String, resume: Bool, log: @escaping (String) -> Void) {
        self.plan = plan
        self.world = world
        self.directory = directory
        self.resume = resume
        self.log = log
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
        let group = world.rank          // ensemble parallel: one rank per member group (layout 1 × 1 × 1)
        let members = plan.members(ofGroup: group)
        let offset = plan.members.firstIndex(of: members.first ?? Member(time: 0, checkpoint: 0, perturbation: 0, ensemble: 0, id: 0)) ?? 0
        try prepareDirectory()

        // Models: only the checkpoints of this rank's members.
        var models: [Int: any ForecastModel] = [:]
        for checkpoint in Set(members.map(\.checkpoint)).sorted() {
            models[checkpoint] = try loadForecastModel(checkpoint: plan.configuration.checkpoints[checkpoint])
        }
        let record = RestartRecord(directory: directory)
        var states: [[Float]]
        var valid: [Bool]
        var firstStep: Int
        if resume {
            let restored = try record.read(fingerprint: fingerprint, plan: plan, offset: offset, count: members.count)
            (states, valid, firstStep) = (restored.states, restored.valid, restored.step + 1)
            if isRoot { log("resuming after step \(restored.step) of \(plan.steps) from \(record.path)") }
        } else {
            states = try initialStates(members, models: models)
            valid = Array(repeating: true, count: members.count)
            firstStep = 0
        }

        let output = plan.configuration.output.members
            ? try MemberOutput(plan: plan, directory: directory, communicator: world, resume: resume) : nil
        try statisticsHook?.start(resume)
        let totalMemberSteps = plan.members.count * plan.steps
        let progress = isRoot ? RunProgress(totalMemberSteps: totalMemberSteps, doneBefore: max(firstStep - 1, 0) * plan.members.count,
                                            interval: plan.configuration.progressSeconds, write: log) : nil
        var written = firstStep == 0 ? 0 : plan.outputSteps.filter { $0 < firstStep }.count * plan.members.count * plan.outputBytesPerMemberStep

        for step in firstStep...plan.steps {
            if step > 0 {
                for (j, member) in members.enumerated() where valid[j] {
                    let validTime = plan.initialTimes[member.time].addingTimeInterval(Double((step - 1) * plan.stepHours * 3600))
                    try models[member.checkpoint]!.stepNormalised(&states[j], validTime: validTime)
                    if !states[j].allSatisfy(\.isFinite) {
                        valid[j] = false
                        log("\(member) turned non-finite at step \(step); it is flagged in member_valid and left out of the statistics")
                    }
                }
            }
            if let slot = plan.outputSteps.firstIndex(of: step) {
                let physical = members.indices.map { j -> [Float] in
                    var x = states[j]
                    models[members[j].checkpoint]!.denormalise(&x)
                    return x
                }
                try output?.write(slot: slot, members: members, states: physical)
                try statisticsHook?.add(slot, members, physical, valid)
                written += plan.members.count * plan.outputBytesPerMemberStep
            }
            let stopping = try world.allreduced(Int32(StopSignal.isRequested(afterStep: step) ? 1 : 0), .max) != 0
            let every = plan.configuration.restartEvery
            if (every > 0 && step % every == 0) || stopping {
                try output?.flush()
                try statisticsHook?.flush()
                try record.write(step: step, fingerprint: fingerprint, plan: plan, offset: offset, states: states,
                                 valid: valid, communicator: world)
            }
            progress?.update(step: step, steps: plan.steps, memberSteps: step * plan.members.count,
                             membersDone: step == plan.steps ? plan.members.count : 0, members: plan.members.count,
                             outputBytes: plan.configuration.output.members ? written : 0, force: step == plan.steps || stopping)
            if stopping && step < plan.steps {
                output?.close()
                try statisticsHook?.stop()
                if isRoot { log("stopped by a signal after step \(step) of \(plan.steps); restart record \(record.path) written. Resume with: myriad run \(plan.configuration.file) --resume") }
                return .stopped(step: step)
            }
        }

        // Flags of every member (for the summary and the file).
        try output?.finish(members: members, valid: valid)
        var files = try statisticsHook?.finish() ?? []
        if output != nil { files.insert(MemberOutput.fileName, at: 0) }
        let localInvalid = zip(members, valid).filter { !$0.1 }.map { Int32($0.0.id) }
        let invalid = try world.allgatherv(localInvalid).values.map(Int.init).sorted()
        try world.barrier()
        if isRoot { try? FileManager.default.removeItem(atPath: record.path) }
        let seconds = Date().timeIntervalSince(clock)
        return .finished(RunSummary(directory: directory, files: files, members: plan.members.count, invalidMembers: invalid,
                                    seconds: seconds,
                                    memberStepsPerSecond: Double(plan.members.count * (plan.steps - max(firstStep - 1, 0))) / seconds))
    }

    // MARK: - Initial states

    /// Each member's normalised initial state: the state read at its initial time, perturbed as configured.
    private func initialStates(_ members: [Member], models: [Int: any ForecastModel]) throws -> [[Float]] {
        let source = try InitialConditionSource(configuration: plan.configuration.initialConditions, modelStepHours: plan.stepHours)
        let perturber = try MemberPerturbation(plan: plan, source: source)
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

    private func prepareDirectory() throws {
        if isRoot {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw RunError("output.directory: cannot create '\(directory)': \(error.localizedDescription)")
            }
        }
        try world.barrier()
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw RunError("output.directory: '\(directory)' is not writable")
        }
    }
}

/// The runner's calls into the in-situ statistics, each collective over the job.
public struct StatisticsHook {
    public var start: (_ resume: Bool) throws -> Void
    /// (output slot, this rank's members, their physical states, validity)
    public var add: (Int, [Member], [[Float]], [Bool]) throws -> Void
    public var flush: () throws -> Void
    public var stop: () throws -> Void
    /// Renames the files; returns their names.
    public var finish: () throws -> [String]

    public init(start: @escaping (Bool) throws -> Void, add: @escaping (Int, [Member], [[Float]], [Bool]) throws -> Void,
                flush: @escaping () throws -> Void, stop: @escaping () throws -> Void, finish: @escaping () throws -> [String]) {
        self.start = start
        self.add = add
        self.flush = flush
        self.stop = stop
        self.finish = finish
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
