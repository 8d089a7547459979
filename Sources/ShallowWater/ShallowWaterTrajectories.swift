import ComplexModule
import Foundation
import MPI
import Sphere
import Storage

/// Trajectories of the shallow-water model written collectively into one makani-layout truth file: dataset
/// `fields[time, channel, lat, lon]` float32 (channels `ShallowWaterChannel`, latitudes north → south, times
/// 0, H, 2H, … up to `days`, H = `outputEvery`) and `data.json` beside it. What `myriad swe` runs, and what
/// `myriad run` makes the demo's initial states and truth with.
///
/// With several trajectories they follow one another along the time axis: trajectory k holds rows
/// k·T ..< (k+1)·T, T = 24·days/H + 1. The trajectories are shared out over the ranks (balanced split) and
/// written collectively; the file is the same bit for bit at any rank count. Random trajectory k starts from
/// the draws of stream k of Philox4x32-10 keyed by `seed`.
public struct ShallowWaterTrajectories: Sendable {
    /// How each trajectory starts.
    public enum InitialState: String, CaseIterable, Sendable {
        /// Galewsky et al.'s barotropically unstable jet (deterministic: one trajectory).
        case galewsky
        /// A random balanced state per trajectory (torch-harmonics' `random_initial_condition`).
        case random
    }

    public var nlat = 128
    public var nlon = 256
    public var grid: SphereGrid = .equiangular
    public var initial: InitialState = .galewsky
    /// Key of the random initial states.
    public var seed: UInt64 = 0
    /// Number of trajectories (random only); nil: one per rank.
    public var trajectories: Int?
    /// Model days to run.
    public var days = 10
    /// Hours between saved states.
    public var outputEvery = 6
    /// Spectral truncation (degrees, exclusive); nil: ⌈nlat/3⌉ as torch-harmonics' `PdeDataset`.
    public var lmax: Int?
    /// Time step in seconds; nil: `ShallowWaterSolver.defaultTimeStep(nlat:)`.
    public var dt: Double?
    /// Mach number of the random initial winds.
    public var mach = 0.1
    /// Start time written to data.json (ISO 8601 with its zone).
    public var startTime = "2000-01-01T00:00:00Z"

    public init() {}

    // MARK: - Plan

    /// The settings checked, with what follows from them.
    public struct Plan: Sendable {
        public let lmax: Int
        public let dt: Double
        public let trajectories: Int
        /// Saved times per trajectory (the initial state included).
        public let times: Int
        public let stepsPerOutput: Int
    }

    /// Everything the settings decide, checked alike on every rank (`ShallowWaterError`).
    public func plan(ranks: Int) throws -> Plan {
        // Checked as data.json's readers read it (MakaniMetadata): a full date and time with its zone.
        guard ISO8601DateFormatter().date(from: startTime) != nil else {
            throw ShallowWaterError("--start-time '\(startTime)' is not an ISO 8601 time; give one such as 2000-01-01T00:00:00Z (data.json's start_time dates every state of the file)")
        }
        guard nlat >= 4, nlon >= 8 else {
            throw ShallowWaterError("--grid must be NLATxNLON with at least 4 latitudes and 8 longitudes, e.g. 128x256; got '\(nlat)x\(nlon)'")
        }
        let random = initial == .random
        let trajectories = trajectories ?? (random ? ranks : 1)
        guard trajectories >= 1 else { throw ShallowWaterError("--trajectories must be at least 1, got \(trajectories)") }
        guard random || trajectories == 1 else {
            throw ShallowWaterError("--initial galewsky has one trajectory (it is deterministic); got --trajectories \(trajectories). Use --initial random for an ensemble, or omit --trajectories")
        }
        guard days >= 1 else { throw ShallowWaterError("--days must be at least 1, got \(days)") }
        guard outputEvery >= 1, (24 * days) % outputEvery == 0 else {
            throw ShallowWaterError("--output-every \(outputEvery) h must be positive and divide the \(24 * days) h of --days \(days)")
        }
        let dt = dt ?? ShallowWaterSolver.defaultTimeStep(nlat: nlat)
        let steps = Double(outputEvery) * 3600 / dt
        guard dt > 0, steps == steps.rounded() else {
            throw ShallowWaterError("--dt \(dt) s must be positive and divide --output-every \(outputEvery) h = \(outputEvery * 3600) s")
        }
        guard mach > 0, mach.isFinite else { throw ShallowWaterError("--mach must be positive, got \(mach)") }
        return Plan(lmax: lmax ?? ShallowWaterSolver.defaultDegreeCount(nlat: nlat), dt: dt, trajectories: trajectories,
                    times: 24 * days / outputEvery + 1, stepsPerOutput: Int(steps))
    }

    // MARK: - Run and write

    /// Integrates the trajectories on the ranks of `world` and writes them to `output` (through a temporary
    /// name, renamed when complete: on error no file is left) and data.json beside it. Collective over `world`.
    /// - progress: called with a line on every rank as the work goes (at start, every model day, at the end)
    public func write(to output: String, world: Communicator, progress: (String) -> Void = { _ in }) throws {
        let plan = try plan(ranks: world.size)
        let solver: ShallowWaterSolver
        do {
            solver = try ShallowWaterSolver(nlat: nlat, nlon: nlon, dt: plan.dt, lmax: plan.lmax, mmax: plan.lmax, grid: grid)
        } catch {
            throw ShallowWaterError("swe \(nlat)x\(nlon): \(error); choose --lmax between 2 and \(min(nlat, nlon / 2 + 1))")
        }
        let directory = URL(fileURLWithPath: output).deletingLastPathComponent().path
        // Made by the root; a failure shows on every rank alike in the check after the barrier, so no rank waits.
        if world.isRoot { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        try world.barrier()
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw ShallowWaterError("cannot write '\(output)': directory '\(directory)' cannot be created or is not writable")
        }
        let pid = try world.broadcast(Int64(ProcessInfo.processInfo.processIdentifier))
        let temporary = "\(output).tmp-\(pid)"
        let mine = splitRange(plan.trajectories, parts: world.size, index: world.rank)
        progress("swe: \(initial.rawValue) start, \(plan.trajectories) trajectory(ies) on \(nlat)x\(nlon) \(grid), lmax \(solver.lmax), dt \(plan.dt) s, \(days) day(s), output every \(outputEvery) h, \(world.size) rank(s)")
        let start = Date()
        do {
            let file = try HDF5File.create(temporary, communicator: world)
            try writeAttributes(file, plan: plan, solver: solver)
            try integrate(into: file, plan: plan, solver: solver, mine: mine, world: world, progress: progress, start: start)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        try world.barrier()
        guard world.isRoot else { return }
        let json = URL(fileURLWithPath: directory).appendingPathComponent("data.json").path
        do {
            if FileManager.default.fileExists(atPath: output) { try FileManager.default.removeItem(atPath: output) }
            try FileManager.default.moveItem(atPath: temporary, toPath: output)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw ShallowWaterError("cannot write '\(output)': \(error.localizedDescription)")
        }
        do {
            // Written to a temporary name and renamed by Foundation (`.atomic`): a reader never sees half of it.
            try metadata(output: output, plan: plan, solver: solver).write(to: URL(fileURLWithPath: json), options: .atomic)
        } catch {
            throw ShallowWaterError("cannot write '\(json)': \(error.localizedDescription)")
        }
        progress("swe: wrote \(output) (\(plan.trajectories * plan.times) × 4 × \(nlat) × \(nlon)) and \(json) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
    }

    /// Every rank integrates its trajectories one after another; round r writes the r-th of each rank's
    /// collectively (a rank with fewer trajectories writes empty selections), so every rank makes the same
    /// sequence of collective calls.
    private func integrate(into file: HDF5File, plan: Plan, solver: ShallowWaterSolver, mine: Range<Int>,
                           world: Communicator, progress: (String) -> Void, start: Date) throws {
        let fields = try file.createDataset("fields", of: Float.self,
                                            shape: [plan.trajectories * plan.times, 4, nlat, nlon])
        try ChannelMetadata.describe(fields, channels: ShallowWaterChannel.allCases.map(\.rawValue))
        let rounds = (plan.trajectories + world.size - 1) / world.size
        let empty = [Float]()
        for round in 0..<rounds {
            let trajectory = round < mine.count ? mine.lowerBound + round : nil
            var state: [Complex<Double>] = []
            if let trajectory {
                state = initial == .random
                    ? solver.randomInitialCondition(seed: seed, stream: UInt64(trajectory), mach: mach)
                    : solver.galewskyInitialCondition()
            }
            for time in 0..<plan.times {
                if let trajectory {
                    if time > 0 { state = solver.timestep(state, steps: plan.stepsPerOutput) }
                    let values = solver.channels(state)
                    guard values.allSatisfy({ $0.isFinite }) else {
                        throw IntegrationError("swe: trajectory \(trajectory) blew up before \(time * outputEvery) h (non-finite values); use a smaller --dt than \(plan.dt) s or a smaller --lmax than \(solver.lmax)")
                    }
                    try fields.write(values, offset: [trajectory * plan.times + time, 0, 0, 0],
                                     count: [1, 4, nlat, nlon], transfer: .collective)
                } else {
                    try fields.write(empty, offset: [0, 0, 0, 0], count: [0, 4, nlat, nlon], transfer: .collective)
                }
                let hours = time * outputEvery
                if hours % 24 == 0, hours > 0 {
                    progress("swe: round \(round + 1)/\(rounds), day \(hours / 24)/\(days), \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
                }
            }
        }
    }

    private func writeAttributes(_ file: HDF5File, plan: Plan, solver: ShallowWaterSolver) throws {
        try file.setAttribute("Conventions", "CF-1.8")
        try file.setAttribute("source", "myriad swe (torch-harmonics 0.9.3 ShallowWaterSolver, float64)")
        try file.setAttribute("initial", initial.rawValue)
        try file.setAttribute("grid", grid.rawValue)
        try file.setAttribute("channels", ShallowWaterChannel.allCases.map(\.rawValue).joined(separator: ","))
        try file.setAttribute("trajectories", Int64(plan.trajectories))
        try file.setAttribute("times_per_trajectory", Int64(plan.times))
        try file.setAttribute("dhours", Int64(outputEvery))
        try file.setAttribute("lmax", Int64(solver.lmax))
        try file.setAttribute("dt", plan.dt)
        if initial == .random {
            try file.setAttribute("seed", Int64(bitPattern: seed))
            try file.setAttribute("mach", mach)
        }
        let p = solver.parameters
        try file.setAttribute("radius", p.radius)
        try file.setAttribute("omega", p.omega)
        try file.setAttribute("gravity", p.gravity)
        try file.setAttribute("havg", p.havg)
        try file.setAttribute("hamp", p.hamp)
    }

    /// makani's `data.json` (`dataset_name`, `h5_path`, `dims`, `dhours`, `coords` with `grid_type`, `lat`,
    /// `lon`, `channel`) plus Myriad's `start_time`, `trajectories`, `times_per_trajectory`, `units` and
    /// `attrs` (the solver's settings).
    private func metadata(output: String, plan: Plan, solver: ShallowWaterSolver) throws -> Data {
        let channels = ShallowWaterChannel.allCases
        var attributes: [String: Any] = [
            "source": "myriad swe: torch-harmonics 0.9.3 ShallowWaterSolver in float64",
            "initial": initial.rawValue, "lmax": solver.lmax, "mmax": solver.mmax, "dt_seconds": plan.dt,
            "radius": solver.parameters.radius, "omega": solver.parameters.omega,
            "gravity": solver.parameters.gravity, "havg": solver.parameters.havg, "hamp": solver.parameters.hamp,
        ]
        if initial == .random {
            attributes["seed"] = seed
            attributes["mach"] = mach
        }
        let document: [String: Any] = [
            "dataset_name": URL(fileURLWithPath: output).deletingPathExtension().lastPathComponent,
            "h5_path": "fields",
            "dims": ["time", "channel", "lat", "lon"],
            "dhours": outputEvery,
            "start_time": startTime,
            "trajectories": plan.trajectories,
            "times_per_trajectory": plan.times,
            "coords": [
                "grid_type": grid.rawValue,
                "lat": solver.latitudes.map { $0 * 180 / Double.pi },
                "lon": solver.longitudes.map { $0 * 180 / Double.pi },
                "channel": channels.map(\.rawValue),
            ] as [String: Any],
            "units": Dictionary(uniqueKeysWithValues: channels.map { ($0.rawValue, ChannelMetadata.named($0.rawValue)?.units ?? "1") }),
            "attrs": attributes,
        ]
        return try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys]) + Data("\n".utf8)
    }
}
