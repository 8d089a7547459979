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

    @Option(name: .long, help: "Area weights: equiangular | legendre-gauss (quadrature weights) | cos-latitude (cos of the members file's lat dataset).")
    var weights: String = "equiangular"

    @Option(name: .long, help: "Comma-separated thresholds τ for Brier scores and reliability tables (event: value > τ).")
    var thresholds: String = ""

    @Option(name: .long, help: "Seed of the rank-histogram tie breaking.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Hours between output times when the members file has no lead_time dataset (time t is lead t × step).")
    var stepHours: Double = 6

    @Option(name: .long, help: "Members file layout: auto | fields | runner.")
    var membersFormat: String = "auto"

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

    func run() throws {
        let layout: ScoreEngineInput.Layout?
        switch membersFormat {
        case "auto": layout = nil
        case "fields": layout = .fields
        case "runner": layout = .runner
        default:
            writeStandardError("myriad: error: --members-format must be auto, fields or runner, got '\(membersFormat)'\n")
            Foundation.exit(1)
        }
        runSPMD(global) { world, logger in
            let format = try layout ?? ScoreEngineInput.detect(forecast)
            if format == .runner || outputDirectory != nil {
                try runEngine(layout: format, world: world, logger: logger)
                return
            }
            let start = Date()
            let levels = try parseThresholds()
            let input = try ScoreInput(forecast: forecast, truth: truth, weights: weights, stepHours: stepHours)
            if let output {
                let directory = URL(fileURLWithPath: output).deletingLastPathComponent().path
                guard FileManager.default.isWritableFile(atPath: directory) else {
                    throw UsageError("cannot write '\(output)': directory '\(directory)' does not exist or is not writable")
                }
            }
            let (m, times, channels, nlat, nlon) = input.shape
            let points = nlat * nlon
            let transpose = EnsembleTranspose(memberCount: m, pointCount: points, ranks: world.size, rank: world.rank)
            let mine = transpose.localMembers
            let configuration = ScoreConfiguration(thresholds: levels, seed: seed)
            logger.info("score: \(m) members × \(times) time(s) × \(channels) variable(s) of \(nlat) × \(nlon), \(world.size) rank(s), \(mine.count) member(s) on rank 0")

            var csv = "variable,lead_time,metric,value\n"
            for t in 0..<times {
                for c in 0..<channels {
                    // A read failing here may fail on one rank only: not a UsageError, so it aborts the job.
                    let local = try input.members.read(Float.self, offset: [mine.lowerBound, t, c, 0, 0],
                                                       count: [mine.count, 1, 1, nlat, nlon])
                    let field = try input.truthFields.read(Float.self, offset: [t, c, 0, 0], count: [1, 1, nlat, nlon])
                    // NaN or infinity would turn every mean into NaN silently: refused, counted, on every rank alike.
                    try world.agreeing {
                        let where_ = "lead time \(input.leadTimes[t]) h, variable \(input.variables[c])"
                        let members = local.lazy.filter { !$0.isFinite }.count
                        if members > 0 {
                            throw UsageError("\(forecast): \(members) non-finite value(s) in members \(mine.lowerBound)..<\(mine.upperBound) at \(where_); scores need finite members: drop the members that blew up (a members file of myriad run marks them in member_valid) or mend the file")
                        }
                        let truthPoints = field.lazy.filter { !$0.isFinite }.count
                        if truthPoints > 0 {
                            throw UsageError("\(truth): \(truthPoints) non-finite value(s) in the truth at \(where_); give a truth without NaN or infinity")
                        }
                    }
                    let (_, summary, best) = try EnsembleVerification.verify(
                        localMembers: local, truth: field, pointWeights: input.pointWeights, transpose: transpose,
                        lead: t, variable: c, configuration: configuration, communicator: world)
                    let rows = summary.rows(thresholds: levels, bestMember: best)
                    for row in rows {
                        csv += "\(input.variables[c]),\(input.leadTimes[t]),\(row.metric),\(row.value)\n"
                    }
                }
                logger.info("score: lead time \(input.leadTimes[t]) h done (\(t + 1)/\(times)), \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
            }
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
        let start = Date()
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
        let mine = splitRange(input.membersPerTime, parts: world.size, index: world.rank)
        logger.info("score: \(input.membersPerTime) members × \(input.initialTimes.count) initial time(s) × \(input.leadHours.count) lead(s) × \(input.variables.count) variable(s) of \(input.nlat) × \(input.nlon) (\(layout.rawValue) layout), \(world.size) rank(s)")
        for lead in input.leadHours.indices {
            var members = try input.members(mine, lead: lead)
            // A member marked valid but holding NaN or infinity is left out of this lead's scores, and said.
            var leftOut: Int64 = 0
            for k in members.indices where members[k].isValid && !members[k].fields.allSatisfy(\.isFinite) {
                members[k].isValid = false
                leftOut += 1
            }
            leftOut = try world.allreduced(leftOut, .sum)
            if world.isRoot && leftOut > 0 {
                logger.warning("score: lead time \(input.leadHours[lead]) h: \(leftOut) member(s) hold NaN or infinity and are left out of this lead's scores")
            }
            try engine.add(lead: lead, members: members) { t in try input.truth(time: t, lead: lead) }
            logger.info("score: lead time \(input.leadHours[lead]) h done (\(lead + 1)/\(input.leadHours.count)), \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        }
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

/// The two files of `myriad score`, opened and checked against each other (every rank alike).
struct ScoreInput {
    let members: HDF5Dataset
    let truthFields: HDF5Dataset
    let shape: (members: Int, times: Int, channels: Int, nlat: Int, nlon: Int)
    let variables: [String]
    let leadTimes: [Double]
    /// Area weight of each point (its latitude's), [lat · lon]
    let pointWeights: [Double]
    private let files: [HDF5File]

    init(forecast: String, truth: String, weights: String, stepHours: Double) throws {
        let forecastFile: HDF5File, truthFile: HDF5File
        do {
            forecastFile = try HDF5File.open(forecast)
            truthFile = try HDF5File.open(truth)
            members = try forecastFile.openDataset("fields")
            truthFields = try truthFile.openDataset("fields")
        } catch {
            throw UsageError("\(error)")
        }
        files = [forecastFile, truthFile]
        let s = members.shape
        guard s.count == 5 else {
            throw UsageError("\(forecast): 'fields' has shape \(s); a members file needs fields[member, time, channel, lat, lon] (docs/statistics.md)")
        }
        guard s[0] >= 2 else { throw UsageError("\(forecast): 'fields' has \(s[0]) member(s); scores need at least 2") }
        shape = (s[0], s[1], s[2], s[3], s[4])
        let u = truthFields.shape
        guard u.count == 4, u[0] >= s[1], u[1] == s[2], u[2] == s[3], u[3] == s[4] else {
            throw UsageError("\(truth): 'fields' has shape \(u); it must be [time ≥ \(s[1]), channel \(s[2]), lat \(s[3]), lon \(s[4])] to verify \(forecast) (shape \(s))")
        }
        func strings(_ file: HDF5File) throws -> [String]? {
            guard file.contains("channels") else { return nil }
            do { return try file.openDataset("channels").readStrings() } catch { throw UsageError("\(error)") }
        }
        let forecastNames = try strings(forecastFile)
        let truthNames = try strings(truthFile)
        if let forecastNames, let truthNames, forecastNames != truthNames {
            throw UsageError("\(forecast) has channels \(forecastNames) but \(truth) has \(truthNames); the channels must match in order")
        }
        variables = forecastNames ?? truthNames ?? (0..<s[2]).map { "channel\($0)" }
        guard variables.count == s[2] else {
            throw UsageError("\(forecast): 'channels' names \(variables.count) variables, 'fields' has \(s[2]) channels")
        }
        guard variables.allSatisfy({ !$0.contains(",") && !$0.contains("\n") }) else {
            throw UsageError("\(forecast): channel names must not contain commas or newlines: \(variables)")
        }
        if forecastFile.contains("lead_time") {
            do { leadTimes = try forecastFile.openDataset("lead_time").read(Double.self) } catch { throw UsageError("\(error)") }
            guard leadTimes.count == s[1] else {
                throw UsageError("\(forecast): 'lead_time' has \(leadTimes.count) values, 'fields' has \(s[1]) times")
            }
        } else {
            guard stepHours > 0 else { throw UsageError("--step-hours must be positive, got \(stepHours)") }
            leadTimes = (0..<s[1]).map { Double($0) * stepHours }
        }
        let latitudeWeights: [Double]
        switch weights {
        case "cos-latitude":
            guard forecastFile.contains("lat") else {
                throw UsageError("\(forecast): --weights cos-latitude needs a 'lat' dataset (degrees, [\(s[3])]); add it or use --weights equiangular|legendre-gauss")
            }
            let lat: [Double]
            do { lat = try forecastFile.openDataset("lat").read(Double.self) } catch { throw UsageError("\(error)") }
            guard lat.count == s[3], lat.allSatisfy({ abs($0) <= 90 }) else {
                throw UsageError("\(forecast): 'lat' must hold \(s[3]) latitudes in degrees within ±90")
            }
            latitudeWeights = lat.map { cos($0 * Double.pi / 180) }
        default:
            guard let grid = SphereGrid(rawValue: weights) else {
                throw UsageError("--weights must be equiangular, legendre-gauss or cos-latitude, got '\(weights)'")
            }
            guard s[3] >= 2 else { throw UsageError("\(forecast): \(s[3]) latitude(s); quadrature weights need at least 2") }
            latitudeWeights = Quadrature(grid: grid, nlat: s[3]).weights
        }
        let nlon = s[4]
        pointWeights = (0..<(s[3] * nlon)).map { latitudeWeights[$0 / nlon] }
    }
}
