import ArgumentParser
import Foundation
import Logging
import MPI
import Sphere
import Statistics
import Storage

/// `myriad score`: verification scores of an ensemble file against a truth file, offline, at any rank count.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Ensemble verification scores (CRPS, RMSE, spread–skill, ranks, Brier, reliability) against a truth file.",
        discussion: """
            MEMBERS.h5 holds the dataset fields[member, time, channel, lat, lon] (float32), optionally \
            channels (strings, [channel]), lead_time (hours, float64 [time]) and lat (degrees, [lat]); \
            TRUTH.h5 is in the makani layout, fields[time, channel, lat, lon], time t verifying members' \
            time t. Members are shared out over the ranks and moved to grid-point slabs by the ensemble \
            transpose; the numbers do not depend on the rank count (counts exactly, weighted means to \
            float64 round-off). Output: CSV variable,lead_time,metric,value (docs/statistics.md).

            The runner's members file (<name>[ensemble, time, lead_time, lat, lon], member_valid[ensemble, \
            time]) is read too (--members-format auto detects it); its truth is matched through the data.json \
            beside TRUTH.h5. With --output-directory, statistics.h5, scores.h5 and scores.csv are written by \
            the same engine the runner uses in-situ (InSituStatistics), so offline = in-situ.
            """)

    @Option(name: .long, help: "Members file: fields[member, time, channel, lat, lon].")
    var forecast: String

    @Option(name: .long, help: "Truth file (makani layout): fields[time, channel, lat, lon].")
    var truth: String

    @Option(name: .long, help: "CSV file to write (default: standard output).")
    var output: String?

    @Option(name: .long, help: "Area weights: the quadrature weights of equiangular or legendre-gauss latitudes, or cos-latitude (cos of the members file's lat dataset).")
    var weights: AreaWeighting = .equiangular

    @Option(name: .long, help: "Comma-separated thresholds τ for Brier scores and reliability tables (event: value > τ).")
    var thresholds: String = ""

    @Option(name: .long, help: "Seed of the rank-histogram tie breaking.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Hours between output times when the members file has no lead_time dataset (time t is lead t × step).")
    var stepHours: Double = 6

    @Option(name: .long, help: "Members file layout (auto: detected from its datasets).")
    var membersFormat: MembersFormat = .auto

    @Option(name: .long, help: "Folder for statistics.h5, scores.h5 and scores.csv (the in-situ engine's files).")
    var outputDirectory: String?

    @Option(name: .long, help: "Comma-separated quantile levels in [0, 1] for statistics.h5.")
    var quantiles: String = ""

    @Option(name: .long, help: "k of the members-beyond-±kσ count in statistics.h5.")
    var kSigma: Double = 4

    @Flag(name: .long, help: "Mean member spectrum and spectrum of the ensemble mean in statistics.h5.")
    var spectra = false

    @Option(name: .long, help: "EFI model-climate file (docs/statistics.md) for statistics.h5.")
    var efiClimate: String?

    @OptionGroup var global: GlobalOptions

    /// The layout of the members file, or `auto`: found from its datasets (`ScoreEngineInput.detect`).
    enum MembersFormat: String, CaseIterable, ExpressibleByArgument {
        case auto, fields, runner

        var layout: ScoreEngineInput.Layout? { ScoreEngineInput.Layout(rawValue: rawValue) }
    }

    func run() throws {
        runSPMD(global) { world, logger in
            let format = try membersFormat.layout ?? ScoreEngineInput.detect(forecast)
            if format == .runner || outputDirectory != nil {
                try runEngine(layout: format, world: world, logger: logger)
                return
            }
            let levels = try parseThresholds()
            let input = try ScoreInput(forecast: forecast, truth: truth, weights: weights, stepHours: stepHours)
            if let output {
                let directory = URL(fileURLWithPath: output).deletingLastPathComponent().path
                guard FileManager.default.isWritableFile(atPath: directory) else {
                    throw UsageError("cannot write '\(output)': directory '\(directory)' does not exist or is not writable")
                }
            }
            let csv = try input.scoreTable(thresholds: levels, seed: seed, communicator: world) { logger.info("\($0)") }
            guard world.isRoot else { return }
            if let output {
                try writeAtomically(csv, to: output)
                logger.info("score: wrote \(output)")
            } else {
                print(csv, terminator: "")
            }
        }
    }

    /// Through `InSituStatistics`: members split over the ranks per initial time, one `add` per lead.
    private func runEngine(layout: ScoreEngineInput.Layout, world: Communicator, logger: Logger) throws {
        let levels = try parseThresholds()
        let quantileLevels = try parseList(quantiles, option: "--quantiles")
        guard quantileLevels.allSatisfy({ $0 >= 0 && $0 <= 1 }) else { throw UsageError("--quantiles must lie in [0, 1], got '\(quantiles)'") }
        guard kSigma > 0 else { throw UsageError("--k-sigma must be positive, got \(kSigma)") }
        let input = try ScoreEngineInput(forecast: forecast, truth: truth, layout: layout, stepHours: stepHours)
        let weightsPerPoint = try input.pointWeights(weights)
        let directory: String
        var temporary: String? = nil
        if let outputDirectory {
            directory = outputDirectory
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
                  FileManager.default.isWritableFile(atPath: directory) else {
                throw UsageError("cannot write into '\(directory)': it does not exist or is not a writable folder")
            }
        } else {
            // Scores only, through a scratch folder shared by the ranks beside the output (or the working directory).
            let base = output.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? FileManager.default.currentDirectoryPath
            let name = try world.broadcast(".myriad-score-\(UUID().uuidString)")
            directory = (base as NSString).appendingPathComponent(name)
            if world.isRoot { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            try world.barrier()
            temporary = directory
        }
        let settings = StatisticsSettings(
            thresholds: Dictionary(uniqueKeysWithValues: input.variables.map { ($0, levels) }), quantileLevels: quantileLevels,
            kSigma: kSigma, spectra: spectra, seed: seed, statistics: outputDirectory != nil, scores: true,
            extremeForecastIndex: efiClimate.map { ExtremeForecastIndexSettings(climatePath: $0) })
        let engine: InSituStatistics
        do {
            engine = try InSituStatistics(
                variables: input.variables, nlat: input.nlat, nlon: input.nlon, latitudes: input.latitudes, longitudes: input.longitudes,
                pointWeights: weightsPerPoint, initialTimes: input.initialTimes, leadHours: input.leadHours,
                membersPerTime: input.membersPerTime, settings: settings, communicator: world, directory: directory, resume: false)
        } catch let error as StatisticsFileError { throw UsageError("\(error)") }
        logger.info("score: \(input.membersPerTime) members × \(input.initialTimes.count) initial time(s) × \(input.leadHours.count) lead(s) × \(input.variables.count) variable(s) of \(input.nlat) × \(input.nlon) (\(layout.rawValue) layout), \(world.size) rank(s)")
        try input.addEveryLead(to: engine, communicator: world,
                               progress: { logger.info("\($0)") }, warning: { logger.warning("\($0)") })
        try engine.finish()
        guard let temporary else { return }
        if world.isRoot {
            let csv = (temporary as NSString).appendingPathComponent(InSituStatistics.scoresCSVName)
            let text = try String(contentsOfFile: csv, encoding: .utf8)
            try? FileManager.default.removeItem(atPath: temporary)
            if let output { try writeAtomically(text, to: output) } else { print(text, terminator: "") }
        }
    }

    private func parseList(_ text: String, option: String) throws -> [Double] {
        guard !text.isEmpty else { return [] }
        return try text.split(separator: ",").map {
            guard let value = Double($0.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                throw UsageError("\(option) must be comma-separated numbers; got '\(text)'")
            }
            return value
        }
    }

    private func parseThresholds() throws -> [Double] {
        guard !thresholds.isEmpty else { return [] }
        return try thresholds.split(separator: ",").map {
            guard let value = Double($0.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                throw UsageError("--thresholds must be comma-separated numbers, e.g. -0.5,0,0.8; got '\(thresholds)'")
            }
            return value
        }
    }
}
