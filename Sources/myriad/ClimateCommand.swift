import ArgumentParser
import Foundation
import Logging
import MPI
import Statistics

/// `myriad climate`: the model climate of the EFI from runs of reforecasts (docs/statistics.md, "EFI").
struct ClimateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "climate",
        abstract: "Build the EFI's model climate (quantiles per point and lead) from the members files of runs.",
        discussion: """
            Pools, at every point, variable and lead, every valid member of every initial time of the given runs \
            (their members.h5, or the output directories holding them) at every lead within ±--lead-window-hours, \
            and writes --quantiles quantiles at p = j/(Q − 1) per lead: the file statistics.efi.climate reads. \
            As ECMWF's M-climate: run the configuration on reforecast dates around the forecast dates (members on, \
            the same output variables and lead_hours), then build the climate from those runs.
            """)

    @Argument(help: "Members files (members.h5) of myriad runs, or their output directories.")
    var inputs: [String]

    @Option(name: .long, help: "The climate file to write.")
    var output: String

    @Option(name: .long, help: "Number Q of climate quantiles (at p = j/(Q − 1); ECMWF's M-climate: 101).")
    var quantiles = 101

    @Option(name: .long, help: "Leads within ± this many hours of a lead are pooled into its climate (0: each lead alone).")
    var leadWindowHours = 0.0

    @Flag(name: .long, help: "Replace --output if it exists.")
    var overwrite = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        runSPMD(global) { world, logger in
            guard quantiles >= 2, leadWindowHours >= 0 else {
                throw UsageError("--quantiles must be at least 2 and --lead-window-hours at least 0, got \(quantiles) and \(leadWindowHours)")
            }
            if FileManager.default.fileExists(atPath: output) && !overwrite {
                throw UsageError("\(output) exists; give --overwrite to replace it, or another --output")
            }
            let files = inputs.map { path -> String in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
                    ? (path as NSString).appendingPathComponent("members.h5") : path
            }
            let climate = ModelClimate(inputs: files, quantileCount: quantiles, leadWindowHours: leadWindowHours)
            let (layout, pool) = try climate.write(to: output, communicator: world)
            if world.isRoot {
                logger.info("climate: \(quantiles) quantiles of \(layout.variables.joined(separator: ", ")) at \(layout.leadHours.count) lead(s) on \(layout.latitudes.count) × \(layout.longitudes.count), at least \(pool) values pooled per point; wrote \(output)")
            }
        }
    }
}
