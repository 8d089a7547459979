import ArgumentParser
import ComplexModule
import Foundation
import Logging
import MPI
import ShallowWater
import Sphere
import Storage

/// `myriad swe`: shallow-water trajectories as a makani-layout truth file.
struct ShallowWaterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swe",
        abstract: "Run the shallow-water model and write the trajectories as a makani-layout HDF5 file.",
        discussion: """
            The solver is torch-harmonics 0.9.3's ShallowWaterSolver in float64 (docs/shallow-water.md). \
            Output: dataset fields[time, channel, lat, lon] float32 with the channels height (m), u, v \
            (m/s, eastward, northward) and vorticity (1/s), latitudes north → south, times 0, H, 2H, … \
            (H = --output-every) up to --days; and data.json in the same directory. With several \
            trajectories they follow one another along the time axis: trajectory k holds rows \
            k·T ..< (k+1)·T, T = 24·days/H + 1. Under mpirun the trajectories are shared out over the \
            ranks (balanced split) and written collectively into the one file; the file is the same \
            bit for bit at any rank count. Random trajectory k starts from the draws of stream k of \
            Philox4x32-10 keyed by --seed.
            """)

    @Option(name: .long, help: "Grid as NLATxNLON, e.g. 128x256.")
    var grid: String = "128x256"

    @Option(name: .long, help: "Latitude nodes: equiangular | legendre-gauss.")
    var latitudes: String = "equiangular"

    @Option(name: .long, help: "Initial state: galewsky | random.")
    var initial: String = "galewsky"

    @Option(name: .long, help: "Seed of the random initial states.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Number of trajectories (random only; default: one per rank).")
    var trajectories: Int?

    @Option(name: .long, help: "Model days to run.")
    var days: Int = 10

    @Option(name: .long, help: "Hours between saved states.")
    var outputEvery: Int = 6

    @Option(name: .long, help: "Spectral truncation (degrees, exclusive; default ⌈nlat/3⌉ as torch-harmonics' PdeDataset).")
    var lmax: Int?

    @Option(name: .long, help: "Time step in seconds (default 3600/⌈3600·nlat/19200⌉: 150 s at 128 latitudes).")
    var dt: Double?

    @Option(name: .long, help: "Mach number of the random initial winds (torch-harmonics' default 0.1).")
    var mach: Double = 0.1

    @Option(name: .long, help: "Start time written to data.json (ISO 8601).")
    var startTime: String = "2000-01-01T00:00:00Z"

    @Option(name: .long, help: "HDF5 file to write; data.json goes beside it.")
    var output: String

    @OptionGroup var global: GlobalOptions

    func run() throws {
        runSPMD(global) { world, logger in try generate(world: world, logger: logger) }
    }

    /// The command's work on every rank (also used by `myriad run` to make the demo's states).
    func generate(world: Communicator, logger: Logger) throws {
        let plan = try makePlan(ranks: world.size)
        let solver: ShallowWaterSolver
        do {
            solver = try ShallowWaterSolver(nlat: plan.nlat, nlon: plan.nlon, dt: plan.dt, lmax: plan.lmax,
                                            mmax: plan.lmax, grid: plan.sphere)
        } catch {
            throw UsageError("swe \(plan.nlat)x\(plan.nlon): \(error); choose --lmax between 2 and \(min(plan.nlat, plan.nlon / 2 + 1))")
        }
        let directory = URL(fileURLWithPath: output).deletingLastPathComponent().path
        // Made by the root; a failure shows on every rank alike in the check after the barrier, so no rank waits.
        if world.isRoot { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        try world.barrier()
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw UsageError("cannot write '\(output)': directory '\(directory)' cannot be created or is not writable")
        }
        let pid = try world.broadcast(Int64(ProcessInfo.processInfo.processIdentifier))
        let temporary = "\(output).tmp-\(pid)"
        let mine = splitRange(plan.trajectories, parts: world.size, index: world.rank)
        logger.info("swe: \(initial) start, \(plan.trajectories) trajectory(ies) on \(plan.nlat)x\(plan.nlon) \(plan.sphere), lmax \(solver.lmax), dt \(plan.dt) s, \(days) day(s), output every \(outputEvery) h, \(world.size) rank(s)")
        let start = Date()
        do {
            let file = try HDF5File.create(temporary, communicator: world)
            try writeAttributes(file, plan: plan, solver: solver)
            try integrate(into: file, plan: plan, solver: solver, mine: mine, world: world, logger: logger,
                          start: start)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        try world.barrier()
        guard world.isRoot else { return }
        do {
            if FileManager.default.fileExists(atPath: output) { try FileManager.default.removeItem(atPath: output) }
            try FileManager.default.moveItem(atPath: temporary, toPath: output)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw UsageError("cannot write '\(output)': \(error.localizedDescription)")
        }
        let json = URL(fileURLWithPath: directory).appendingPathComponent("data.json").path
        try writeAtomically(metadata(plan: plan, solver: solver), to: json)
        logger.info("swe: wrote \(output) (\(plan.trajectories * plan.times) × 4 × \(plan.nlat) × \(plan.nlon)) and \(json) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
    }

    // MARK: - Plan

    struct Plan {
        let nlat: Int, nlon: Int, lmax: Int
        let sphere: SphereGrid
        let dt: Double
        let trajectories: Int
        /// Saved times per trajectory (the initial state included).
        let times: Int
        let stepsPerOutput: Int
        let random: Bool
    }

    /// Everything the options decide, checked alike on every rank.
    func makePlan(ranks: Int) throws -> Plan {
        // Checked as data.json's readers read it (MakaniMetadata): a full date and time with its zone.
        guard ISO8601DateFormatter().date(from: startTime) != nil else {
            throw UsageError("--start-time '\(startTime)' is not an ISO 8601 time; give one such as 2000-01-01T00:00:00Z (data.json's start_time dates every state of the file)")
        }
        let parts = grid.lowercased().split(separator: "x").map { Int($0) }
        guard parts.count == 2, let nlat = parts[0], let nlon = parts[1], nlat >= 4, nlon >= 8 else {
            throw UsageError("--grid must be NLATxNLON with at least 4 latitudes and 8 longitudes, e.g. 128x256; got '\(grid)'")
        }
        guard let sphere = SphereGrid(rawValue: latitudes) else {
            throw UsageError("--latitudes must be equiangular or legendre-gauss, got '\(latitudes)'")
        }
        guard initial == "galewsky" || initial == "random" else {
            throw UsageError("--initial must be galewsky or random, got '\(initial)'")
        }
        let random = initial == "random"
        let trajectories = trajectories ?? (random ? ranks : 1)
        guard trajectories >= 1 else { throw UsageError("--trajectories must be at least 1, got \(trajectories)") }
        guard random || trajectories == 1 else {
            throw UsageError("--initial galewsky has one trajectory (it is deterministic); got --trajectories \(trajectories). Use --initial random for an ensemble, or omit --trajectories")
        }
        guard days >= 1 else { throw UsageError("--days must be at least 1, got \(days)") }
        guard outputEvery >= 1, (24 * days) % outputEvery == 0 else {
            throw UsageError("--output-every \(outputEvery) h must be positive and divide the \(24 * days) h of --days \(days)")
        }
        let dt = dt ?? ShallowWaterSolver.defaultTimeStep(nlat: nlat)
        let steps = Double(outputEvery) * 3600 / dt
        guard dt > 0, steps == steps.rounded() else {
            throw UsageError("--dt \(dt) s must be positive and divide --output-every \(outputEvery) h = \(outputEvery * 3600) s")
        }
        guard mach > 0, mach.isFinite else { throw UsageError("--mach must be positive, got \(mach)") }
        return Plan(nlat: nlat, nlon: nlon, lmax: lmax ?? ShallowWaterSolver.defaultDegreeCount(nlat: nlat),
                    sphere: sphere, dt: dt, trajectories: trajectories, times: 24 * days / outputEvery + 1,
                    stepsPerOutput: Int(steps), random: random)
    }

    // MARK: - Run and write

    /// Every rank integrates its trajectories one after another; round r writes the r-th of each rank's
    /// collectively (a rank with fewer trajectories writes empty selections), so every rank makes the same
    /// sequence of collective calls.
    private func integrate(into file: HDF5File, plan: Plan, solver: ShallowWaterSolver, mine: Range<Int>,
                           world: Communicator, logger: Logger, start: Date) throws {
        let fields = try file.createDataset("fields", of: Float.self,
                                            shape: [plan.trajectories * plan.times, 4, plan.nlat, plan.nlon])
        try ChannelMetadata.describe(fields, channels: ShallowWaterChannel.allCases.map(\.rawValue))
        let rounds = (plan.trajectories + world.size - 1) / world.size
        let empty = [Float]()
        for round in 0..<rounds {
            let trajectory = round < mine.count ? mine.lowerBound + round : nil
            var state: [Complex<Double>] = []
            if let trajectory {
                state = plan.random
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
                                     count: [1, 4, plan.nlat, plan.nlon], transfer: .collective)
                } else {
                    try fields.write(empty, offset: [0, 0, 0, 0], count: [0, 4, plan.nlat, plan.nlon], transfer: .collective)
                }
                let hours = time * outputEvery
                if hours % 24 == 0, hours > 0 {
                    logger.info("swe: round \(round + 1)/\(rounds), day \(hours / 24)/\(days), \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
                }
            }
        }
    }

    private func writeAttributes(_ file: HDF5File, plan: Plan, solver: ShallowWaterSolver) throws {
        try file.setAttribute("Conventions", "CF-1.8")
        try file.setAttribute("source", "myriad swe (torch-harmonics 0.9.3 ShallowWaterSolver, float64)")
        try file.setAttribute("initial", initial)
        try file.setAttribute("grid", plan.sphere.rawValue)
        try file.setAttribute("channels", ShallowWaterChannel.allCases.map(\.rawValue).joined(separator: ","))
        try file.setAttribute("trajectories", Int64(plan.trajectories))
        try file.setAttribute("times_per_trajectory", Int64(plan.times))
        try file.setAttribute("dhours", Int64(outputEvery))
        try file.setAttribute("lmax", Int64(solver.lmax))
        try file.setAttribute("dt", plan.dt)
        if plan.random {
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
    private func metadata(plan: Plan, solver: ShallowWaterSolver) throws -> String {
        let channels = ShallowWaterChannel.allCases
        var attributes: [String: Any] = [
            "source": "myriad swe: torch-harmonics 0.9.3 ShallowWaterSolver in float64",
            "initial": initial, "lmax": solver.lmax, "mmax": solver.mmax, "dt_seconds": plan.dt,
            "radius": solver.parameters.radius, "omega": solver.parameters.omega,
            "gravity": solver.parameters.gravity, "havg": solver.parameters.havg, "hamp": solver.parameters.hamp,
        ]
        if plan.random {
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
                "grid_type": plan.sphere.rawValue,
                "lat": solver.latitudes.map { $0 * 180 / Double.pi },
                "lon": solver.longitudes.map { $0 * 180 / Double.pi },
                "channel": channels.map(\.rawValue),
            ] as [String: Any],
            "units": Dictionary(uniqueKeysWithValues: channels.map { ($0.rawValue, ChannelMetadata.named($0.rawValue)?.units ?? "1") }),
            "attrs": attributes,
        ]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// A failure of one rank's integration (the others carry on until the job is aborted).
struct IntegrationError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
