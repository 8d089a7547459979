import ArgumentParser
import Ensemble
import Foundation
import Logging
import MPI

/// `myriad calibrate`: the perturbation amplitude that makes the configuration's ensemble calibrated
/// (docs/perturbations.md, "Calibration").
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Find the perturbation amplitude at which spread matches error, and write the calibrated configuration.",
        discussion: """
            Runs CONFIG on the initial times of its calibration section (not the verified ones), measures the \
            spread–skill ratio per variable and lead, and searches the amplitude (bred vectors: the factor of \
            target_rmse; noise: σ) that brings its mean to 1. Writes CONFIG with that amplitude and the measured \
            table as a comment.
            """)

    @Argument(help: "YAML run configuration with a calibration section.")
    var config: String

    @Option(name: .long, help: "Where to write the calibrated configuration (default: CONFIG with -calibrated before .yaml).")
    var output: String?

    @Flag(name: .long, help: "Replace --output if it exists.")
    var overwrite = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        runSPMD(global) { world, logger in
            let configuration = try RunConfiguration(contentsOf: config)
            guard world.size % configuration.layout.size == 0 else {
                throw LayoutError.worldDoesNotDivide(worldSize: world.size, layout: configuration.layout)
            }
            let destination = output ?? (config.hasSuffix(".yaml") ? String(config.dropLast(5)) : config) + "-calibrated.yaml"
            if FileManager.default.fileExists(atPath: destination) && !overwrite {
                throw UsageError("\(destination) exists; give --overwrite to replace it, or another --output")
            }
            let calibration = try PerturbationCalibration(configuration: configuration, world: world,
                                                          workDirectory: "\(configuration.output.directory)/calibration",
                                                          log: { if world.isRoot { logger.info("\($0)") } })
            let result = try calibration.run()
            guard world.isRoot else { return }
            rmdir("\(configuration.output.directory)/calibration")   // only if empty: each trial removed what it wrote
            let amplitude = result.amplitude
            let table = Self.table(result.chosen)
            var text = try RunConfiguration.settingAmplitude(amplitude, in: configuration.source, file: config)
            var what = "perturbation.amplitude \(String(format: "%.4g", amplitude))"
            if result.targets != configuration.perturbation.targetRMSE {
                text = try RunConfiguration.settingTargetRMSE(result.targets, in: text, file: config)
                what += " and perturbation.target_rmse"
            }
            let runs = result.trials.map { String(format: "%.4g → %.3f", $0.amplitude, $0.mean) + " (" +
                zip($0.variables, $0.variableMeans).map { "\($0) " + String(format: "%.3f", $1) }.joined(separator: ", ") + ")" }
            text = """
                # Calibrated by `myriad calibrate \(config)` on \(ISO8601DateFormatter().string(from: Date())): \(what); \
                spread–skill (Fortin) over the calibration times:
                # runs (amplitude → mean spread–skill (per variable)):
                \(runs.enumerated().map { "#   \($0.offset + 1). \($0.element)" }.joined(separator: "\n"))
                \(table.split(separator: "\n").map { "# " + $0 }.joined(separator: "\n"))

                """ + text
            try writeAtomically(text, to: destination)
            logger.info("calibrate: \(what); wrote \(destination)\n\(table)")
        }
    }

    /// Spread–skill per lead (rows) and variable (columns).
    static func table(_ trial: PerturbationCalibration.Trial) -> String {
        var lines = ["lead h  " + trial.variables.map { $0.padding(toLength: 10, withPad: " ", startingAt: 0) }.joined()]
        for (l, lead) in trial.leadHours.enumerated() {
            let cells = trial.variables.indices.map { String(format: "%-10.3f", trial.ratios[$0 * trial.leadHours.count + l]) }
            lines.append(String(format: "%6d  ", lead) + cells.joined())
        }
        return lines.joined(separator: "\n")
    }
}
