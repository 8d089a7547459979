import Foundation
import MPI
import SFNO
import Sphere
import Statistics
import Storage

/// One ensemble member: a checkpoint (model perturbation), an initial time and a perturbation index.
public struct Member: Hashable, Sendable, CustomStringConvertible {
    /// Index of the initial time.
    public let time: Int
    public let checkpoint: Int
    /// Index among the members of this checkpoint and initial time, 0 ..< membersPerCheckpoint.
    public let perturbation: Int
    /// Position on the output's ensemble axis: `checkpoint · membersPerCheckpoint + perturbation`.
    public let ensemble: Int
    /// The member's id, unique in the run: `time · membersPerTime + ensemble`. Random draws are keyed by it.
    public let id: Int

    public var description: String { "member \(id) (time \(time), checkpoint \(checkpoint), #\(perturbation))" }
}

/// What a run will do, decided the same way on every rank before any work: members = checkpoints ×
/// initial times × perturbations, laid out over ensemble groups; lead steps, output variables and region.
///
/// Members are ordered checkpoint-major (checkpoint, then initial time, then perturbation) and each
/// ensemble group takes a contiguous block of that order (`splitRange`): a group loads as few checkpoints
/// as possible and groups differ by at most one member. A member's trajectory depends on nothing of the
/// layout, so any member can be rerun alone (`--members`).
public struct EnsemblePlan: Sendable {
    public let configuration: RunConfiguration
    /// What the members run: the checkpoints' descriptions (no weights) or the shallow-water model.
    public let model: ModelDescription
    /// Descriptions (no weights) of the checkpoints, in configuration order (none for shallow water).
    public let checkpoints: [Checkpoint]
    public let stateChannels: [String]
    public let nlat: Int
    public let nlon: Int
    public let latitudes: [Double]
    public let longitudes: [Double]
    public let grid: SphereGrid
    public let stepHours: Int
    public let steps: Int
    public let initialTimes: [Date]
    public let membersPerTime: Int
    /// Steps (0 … steps) whose fields are written and scored.
    public let outputSteps: [Int]
    /// Variables written and scored, as indices into `outputChannels`: the chosen state channels, then
    /// every derived variable.
    public let outputVariables: [Int]
    /// The derived variables (`output.derived`), computed from the physical state at each output step.
    public let derived: [DerivedVariable]
    /// The state channels followed by the derived variables: the channels of a state after
    /// `appendDerived`, which `outputVariables` index.
    public let outputChannels: [String]
    public let latitudeIndices: Range<Int>
    public let longitudeIndices: Range<Int>
    public let groupCount: Int
    /// Members rerun alone (`--members`), or nil for all.
    public let selection: Set<Int>?
    /// Every member of the run (or of the selection), in checkpoint-major order; made once, since the
    /// runner asks for it every step.
    public private(set) var members: [Member] = []

    public var totalMembers: Int { initialTimes.count * membersPerTime }

    public init(configuration: RunConfiguration, groupCount: Int, selection: Set<Int>? = nil) throws {
        self.configuration = configuration
        self.groupCount = groupCount
        var problems: [String] = []
        let c = configuration
        let description: ModelDescription
        switch c.model {
        case .sfno: description = try ModelDescription(checkpoints: c.checkpoints, precision: c.precision)
        case .shallowWater: description = try ModelDescription(shallowWaterStates: c.initialConditions)
        }
        model = description
        let channels = description.channels
        checkpoints = description.checkpoints
        stateChannels = description.channels
        (nlat, nlon, grid) = (description.nlat, description.nlon, description.grid)
        (latitudes, longitudes) = (description.latitudes, description.longitudes)
        stepHours = description.stepHours
        if c.leadHours % stepHours != 0 {
            problems.append("lead_hours: \(c.leadHours) is not a whole number of \(stepHours)-h model steps")
        }
        steps = c.leadHours / stepHours

        // Initial times (from indices through the file's metadata when given so).
        let source: InitialConditionSource?
        do {
            source = try InitialConditionSource(configuration: c.initialConditions, modelStepHours: stepHours)
        } catch {
            problems.append("initial_conditions: \(error)")
            source = nil
        }
        if let source, !c.initialConditions.indices.isEmpty {
            initialTimes = c.initialConditions.indices.map { source.time(ofIndex: $0) }
        } else {
            initialTimes = c.initialConditions.times
        }
        membersPerTime = description.modelCount * c.membersPerCheckpoint

        // Output selection: the chosen state channels, then the derived variables.
        var derived: [DerivedVariable] = []
        for name in c.output.derived {
            switch DerivedVariable.resolve(name, channels: channels) {
            case .success(let variable):
                if channels.contains(name) {
                    problems.append("output.derived: '\(name)' is a state channel of the model already; list it in output.variables instead")
                } else {
                    derived.append(variable)
                }
            case .failure(let error): problems.append("\(error) (channels: \(channels.joined(separator: ", ")))")
            }
        }
        self.derived = derived
        outputChannels = channels + derived.map(\.name)
        let derivedIndices = derived.indices.map { channels.count + $0 }
        if let names = c.output.variables {
            var indices: [Int] = []
            for name in names {
                if let i = channels.firstIndex(of: name) { indices.append(i) } else {
                    problems.append("output.variables: '\(name)' is not a channel of the model (channels: \(channels.joined(separator: ", ")))")
                }
            }
            outputVariables = indices + derivedIndices
        } else {
            outputVariables = Array(channels.indices) + derivedIndices
        }
        if let leads = c.output.leadHours {
            let step = description.stepHours
            var chosen: [Int] = []
            for hours in leads.sorted() {
                if step > 0, hours % step == 0 { chosen.append(hours / step) } else {
                    problems.append("output.lead_hours: \(hours) h is not a multiple of the \(step)-h model step")
                }
            }
            outputSteps = chosen
        } else {
            outputSteps = Array(0...max(steps, 0))
        }
        func indices(_ coordinates: [Double], within range: ClosedRange<Double>?, axis: String) -> Range<Int> {
            guard let range else { return 0..<coordinates.count }
            let inside = coordinates.indices.filter { range.contains(coordinates[$0]) }
            guard let low = inside.first, let high = inside.last, inside.count == high - low + 1 else {
                problems.append("output.region.\(axis): [\(range.lowerBound), \(range.upperBound)] holds no \(axis) of the grid (\(coordinates.first ?? 0) … \(coordinates.last ?? 0))")
                return 0..<coordinates.count
            }
            return low..<(high + 1)
        }
        latitudeIndices = indices(latitudes, within: c.output.latitudeRange, axis: "lat")
        longitudeIndices = indices(longitudes, within: c.output.longitudeRange, axis: "lon")

        // Perturbation names must be channels.
        let p = c.perturbation
        if p.kind == .bredVector {
            for name in p.seededVariables where !channels.contains(name) {
                problems.append("perturbation.seeded_variables: '\(name)' is not a channel of the model (channels: \(channels.joined(separator: ", ")))")
            }
            for name in p.targetRMSE.keys.sorted() where !channels.contains(name) {
                problems.append("perturbation.target_rmse: '\(name)' is not a channel of the model")
            }
        }
        for pattern in p.nonNegative ?? [] where !channels.contains(where: { NonNegativeChannels.matches(pattern, $0) }) {
            problems.append("perturbation.non_negative: '\(pattern)' matches no channel of the model (channels: \(channels.joined(separator: ", ")); 'q*' matches every name starting with q)")
        }
        for name in (c.initialConditions.analysisError?.rmse.keys.sorted() ?? []) where !channels.contains(name) {
            problems.append("initial_conditions.analysis_error.rmse: '\(name)' is not a channel of the model (channels: \(channels.joined(separator: ", ")))")
        }
        for name in c.statistics.thresholds.keys.sorted() where !outputChannels.contains(name) {
            problems.append("statistics.thresholds: '\(name)' is not a channel of the model nor a derived variable of output.derived")
        }
        if c.layout.size > 1, !description.splitsOverModelGroups {
            problems.append("parallel: the shallow-water model runs on one rank per member; use h: 1, w: 1, channel: 1")
        }
        if let selection {
            let total = initialTimes.count * membersPerTime
            let bad = selection.filter { $0 < 0 || $0 >= total }.sorted()
            if !bad.isEmpty {
                problems.append("--members: \(bad.map(String.init).joined(separator: ", ")) outside 0 ..< \(total), the run's member ids")
            }
        }
        self.selection = selection
        if let source { problems += initialConditionProblems(source) }
        guard problems.isEmpty else { throw RunError(problems: problems) }
        let all = (0..<totalMembers).map(member(atOrder:))
        members = selection.map { chosen in all.filter { chosen.contains($0.id) } } ?? all
    }

    /// Every initial state (and, for bred vectors, the state breeding starts from) exists, on the model's
    /// grid, with the model's channels — before the first step, so that a bad time fails in seconds.
    private func initialConditionProblems(_ source: InitialConditionSource) -> [String] {
        var problems: [String] = []
        let breedingHours = configuration.perturbation.kind == .bredVector
            ? configuration.perturbation.integrationSteps * stepHours : 0
        for time in initialTimes {
            for offset in Set([0, breedingHours]).sorted() {
                let valid = time.addingTimeInterval(-Double(offset * 3600))
                do {
                    let (path, index) = try source.locate(valid)
                    try source.checkShape(path: path, index: index, channels: stateChannels, nlat: nlat, nlon: nlon)
                } catch {
                    let role = offset == 0 ? "initial state" : "breeding start (\(offset) h before)"
                    problems.append("initial_conditions: \(role) of \(iso8601(time)): \(error)")
                }
            }
        }
        if configuration.statistics.enabled, let path = configuration.statistics.truth {
            do {
                let truth = try InitialConditionSource(location: .file(path), dhours: stepHours)
                let time = initialTimes.first ?? Date(timeIntervalSince1970: 0)
                let (file, index) = try truth.locate(time)
                try truth.checkShape(path: file, index: index, channels: truthChannels, nlat: nlat, nlon: nlon)
            } catch {
                problems.append("statistics.truth: \(error)")
            }
        }
        if configuration.statistics.enabled, let efi = configuration.statistics.efi {
            do {
                try ModelClimate.checkFits(path: efi.climate, variables: outputVariables.map { outputChannels[$0] },
                                           latitudes: latitudes, longitudes: longitudes,
                                           leadHours: outputSteps.map { Double($0 * stepHours) })
            } catch {
                problems.append("statistics.efi.climate: \(error)")
            }
        }
        return problems
    }

    // MARK: - Output state

    /// The state channels the truth must hold to verify the output variables: the written state channels
    /// (in output order), then the other inputs of the derived variables (in state order).
    public var truthChannels: [String] {
        let written = outputVariables.filter { $0 < stateChannels.count }
        let inputs = Set(derived.flatMap(\.inputs)).subtracting(written).sorted()
        return (written + inputs).map { stateChannels[$0] }
    }

    /// Appends the derived fields to a physical state: `[stateChannels][lat][lon]` → `[outputChannels][lat][lon]`.
    public func appendDerived(to state: inout [Float]) {
        DerivedVariable.extend(&state, with: derived, points: pointCount)
    }

    /// The output variables `[outputVariables][lat][lon]` of the truth at `time`, the derived ones computed
    /// from the truth's own channels as from a member's (on the truth's channels only, not a whole state).
    func truthFields(_ truth: InitialConditionSource, time: Date) throws -> [Float] {
        let names = truthChannels
        var fields = try truth.read(time: time, channels: names, nlat: nlat, nlon: nlon)
        guard !derived.isEmpty else { return fields }
        // The same derived variables with their inputs found among the truth's channels.
        let onTruth = derived.map { variable -> DerivedVariable in
            guard case .success(let found) = DerivedVariable.resolve(variable.name, channels: names), found.kind == variable.kind else {
                preconditionFailure("truth channels \(names) lack an input of \(variable.name)")
            }
            return found
        }
        DerivedVariable.extend(&fields, with: onTruth, points: pointCount)
        let n = pointCount
        var output = [Float]()
        output.reserveCapacity(outputVariables.count * n)
        for v in outputVariables {
            let k = v < stateChannels.count ? names.firstIndex(of: stateChannels[v])! : names.count + (v - stateChannels.count)
            output += fields[(k * n)..<((k + 1) * n)]
        }
        return output
    }

    // MARK: - Members and groups

    /// The member at position `order` of the checkpoint-major order.
    public func member(atOrder order: Int) -> Member {
        let k = configuration.membersPerCheckpoint
        let perCheckpoint = initialTimes.count * k
        let checkpoint = order / perCheckpoint
        let time = (order % perCheckpoint) / k
        let perturbation = order % k
        let ensemble = checkpoint * k + perturbation
        return Member(time: time, checkpoint: checkpoint, perturbation: perturbation, ensemble: ensemble,
                      id: time * membersPerTime + ensemble)
    }

    /// The members of ensemble group `group`.
    public func members(ofGroup group: Int) -> [Member] {
        let all = members
        return Array(all[splitRange(all.count, parts: groupCount, index: group)])
    }

    /// The most members any group holds (the number of collective member writes per output step).
    public var maximumMembersPerGroup: Int { splitSizes(members.count, parts: groupCount).max() ?? 0 }

    // MARK: - Sizes

    public var pointCount: Int { nlat * nlon }
    public var stateBytes: Int { stateChannels.count * pointCount * MemoryLayout<Float>.size }
    public var outputBytesPerMemberStep: Int {
        outputVariables.count * latitudeIndices.count * longitudeIndices.count * MemoryLayout<Float>.size
    }
    public var outputBytes: Int {
        configuration.output.members ? totalMembers * outputSteps.count * outputBytesPerMemberStep : 0
    }
}

/// A problem found while planning a run (files, grids, channels), the same on every rank.
public struct RunError: SameOnEveryRank {
    public let problems: [String]
    public init(_ message: String) { problems = [message] }
    public init(problems: [String]) { self.problems = problems }
    public var description: String {
        problems.count == 1 ? problems[0] : "\(problems.count) problems:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

extension ConfigurationError: SameOnEveryRank {}

extension InitialConditionSource {
    convenience init(configuration: RunConfiguration.InitialConditions, modelStepHours: Int) throws {
        if let directory = configuration.directory {
            try self.init(location: .yearlyFiles(directory: directory), dhours: configuration.dhours ?? modelStepHours)
        } else {
            try self.init(location: .file(configuration.file ?? ""), dhours: configuration.dhours ?? modelStepHours)
        }
    }

    /// Checks that index `index` of `path` exists and holds `channels` on the grid, reading no fields.
    func checkShape(path: String, index: Int, channels: [String], nlat: Int, nlon: Int) throws {
        let shape = try shapeOfFields(path)
        guard shape.count == 4, shape[2] == nlat, shape[3] == nlon else {
            throw MakaniLayoutError(path, "'fields' has shape \(shape), expected [time, channel, \(nlat), \(nlon)] for the model's grid")
        }
        guard index < shape[0] else {
            throw MakaniLayoutError(path, "has \(shape[0]) times, index \(index) is needed")
        }
        _ = try channelIndices(channels, fileChannels: shape[1], path: path)
    }
}
