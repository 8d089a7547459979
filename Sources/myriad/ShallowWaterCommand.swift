import ArgumentParser
import Foundation
import ShallowWater
import Sphere

/// `myriad swe`: shallow-water trajectories as a makani-layout truth file (`ShallowWaterTrajectories`).
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

    @Option(name: .long, help: "Latitude nodes.")
    var latitudes: SphereGrid = .equiangular

    @Option(name: .long, help: "Initial state.")
    var initial: ShallowWaterTrajectories.InitialState = .galewsky

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
        runSPMD(global) { world, logger in
            try settings().write(to: output, world: world) { logger.info("\($0)") }
        }
    }

    /// The options as the library's settings; `--grid`'s form is checked here, everything else by `plan`.
    func settings() throws -> ShallowWaterTrajectories {
        let parts = grid.lowercased().split(separator: "x").map { Int($0) }
        guard parts.count == 2, let nlat = parts[0], let nlon = parts[1] else {
            throw UsageError("--grid must be NLATxNLON with at least 4 latitudes and 8 longitudes, e.g. 128x256; got '\(grid)'")
        }
        var settings = ShallowWaterTrajectories()
        (settings.nlat, settings.nlon, settings.grid, settings.initial) = (nlat, nlon, latitudes, initial)
        (settings.seed, settings.trajectories, settings.days, settings.outputEvery) = (seed, trajectories, days, outputEvery)
        (settings.lmax, settings.dt, settings.mach, settings.startTime) = (lmax, dt, mach, startTime)
        return settings
    }
}
