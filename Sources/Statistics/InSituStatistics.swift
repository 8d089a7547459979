import Foundation
import MPI
import Sphere
import Storage

/// The in-situ statistics engine of an ensemble run: called collectively once per lead time with each
/// rank's members (any layout), it writes per-point ensemble statistics to `statistics.h5` and verification
/// scores to `scores.h5` and `scores.csv` in `directory` (docs/statistics.md), without storing members.
///
/// Distribution scheme per lead, `P` ranks of `communicator`, per initial time t and variable v:
/// 1. one allgatherv of every rank's (time, ensemble index) pairs of valid members (once per lead);
/// 2. `IndexedEnsembleTranspose`: the members of time t → latitude-row slabs, all valid members of a point
///    in ensemble-index order, whatever ranks they came from;
/// 3. per point (`SlabScores` / `SlabStatistics`): mean, std, min, max, exceedance, quantiles, ±kσ, CRPS,
///    ranks, … from that point's members alone — bit for bit the same at any rank count and layout;
/// 4. the slab's rows written collectively into the files; the verification sums of all (t, v) in one
///    sum-allreduce, summed over initial times per lead (to float64 round-off across rank counts);
/// 5. spectra: each member's spectrum where it is, gathered to rank 0 and summed in ensemble-index order;
///    the spectrum of the ensemble mean from the gathered mean field (both bit for bit layout-independent).
///
/// Memory per rank beyond the caller's members: the transpose buffer (all valid members of one time at
/// N/P points, float32, plus this rank's members of that time sent), the slab's per-point results
/// (O((Q + T + 10) N/P) float64), one truth field of V × N float32, and, growing with M but small, the
/// members' (time, index) pairs, per-member errors (M × V float64) and on rank 0 the member spectra of
/// one time (M × V × lmax float64).
public final class InSituStatistics: @unchecked Sendable {
    public let variables: [String]
    public let nlat: Int, nlon: Int
    /// Degrees north, north → south.
    public let latitudes: [Double]
    /// Degrees east.
    public let longitudes: [Double]
    /// [nlat × nlon] area weights.
    public let pointWeights: [Double]
    public let initialTimes: [Date]
    public let leadHours: [Double]
    /// E: ensemble indices `0 ..< E` per initial time.
    public let membersPerTime: Int
    public let settings: StatisticsSettings
    public let communicator: Communicator
    public let directory: String

    /// Final file names in `directory`; written under `NAME.partial` until `finish()`.
    public static let statisticsFileName = "statistics.h5"
    public static let scoresFileName = "scores.h5"
    public static let scoresCSVName = "scores.csv"

    var statisticsFile: StatisticsOutputFile?
    var scoresFile: StatisticsOutputFile?
    let sht: RealSHT<Double>?
    /// Per variable index: the climate dataset (serial, read by each rank for its rows) and its Q.
    var climate: [Int: (dataset: HDF5Dataset, quantiles: Int, perLead: Bool, coefficients: ExtremeForecastIndex.Coefficients)] = [:]
    private var climateFile: HDF5File?
    private(set) public var isFinished = false

    public init(variables: [String], nlat: Int, nlon: Int, latitudes: [Double], longitudes: [Double],
                pointWeights: [Double], initialTimes: [Date], leadHours: [Double], membersPerTime: Int,
                settings: StatisticsSettings, communicator: Communicator, directory: String, resume: Bool) throws {
        precondition(!variables.isEmpty && nlat > 0 && nlon > 0, "InSituStatistics: no variables or an empty grid")
        precondition(latitudes.count == nlat && longitudes.count == nlon && pointWeights.count == nlat * nlon,
                     "InSituStatistics: \(latitudes.count) latitudes, \(longitudes.count) longitudes, \(pointWeights.count) weights for \(nlat) × \(nlon)")
        precondition(!initialTimes.isEmpty && !leadHours.isEmpty && membersPerTime > 0,
                     "InSituStatistics: need initial times, lead times and members")
        precondition(initialTimes.count * variables.count < 1 << 16, "InSituStatistics: times × variables must stay below 65536 (tie-break streams)")
        precondition(Set(variables).count == variables.count, "InSituStatistics: variable names repeat: \(variables)")
        self.variables = variables
        self.nlat = nlat
        self.nlon = nlon
        self.latitudes = latitudes
        self.longitudes = longitudes
        self.pointWeights = pointWeights
        self.initialTimes = initialTimes
        self.leadHours = leadHours
        self.membersPerTime = membersPerTime
        self.settings = settings
        self.communicator = communicator
        self.directory = directory
        if settings.statistics && settings.spectra {
            let grid = settings.grid ?? (abs(latitudes[0] - 90) < 1e-9 ? .equiangular : .legendreGauss)
            sht = try RealSHT<Double>(grid: grid, nlat: nlat, nlon: nlon, lmax: settings.spectraLmax)
        } else {
            sht = nil
        }
        if settings.statistics, let efi = settings.extremeForecastIndex { try openClimate(efi.climatePath) }
        if settings.statistics {
            statisticsFile = try StatisticsOutputFile(path: partialPath(Self.statisticsFileName), communicator: communicator,
                                                      resume: resume, attributes: fileAttributes("ensemble statistics"))
            try defineStatisticsFile(statisticsFile!)
        }
        if settings.scores {
            scoresFile = try StatisticsOutputFile(path: partialPath(Self.scoresFileName), communicator: communicator,
                                                  resume: resume, attributes: fileAttributes("ensemble verification scores"))
            try defineScoresFile(scoresFile!)
        }
    }

    func partialPath(_ name: String) -> String { (directory as NSString).appendingPathComponent(name + ".partial") }
    func finalPath(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    private func fileAttributes(_ title: String) -> [(String, NetCDFAttribute)] {
        [("title", .text("Myriad \(title)")), ("source", .text("Myriad InSituStatistics")),
         ("members_per_time", .integer(Int64(membersPerTime))), ("k_sigma", .double(settings.kSigma)),
         ("tie_break_seed", .integer(Int64(bitPattern: settings.seed)))]
    }

    private func openClimate(_ path: String) throws {
        let file: HDF5File
        do { file = try HDF5File.open(path) } catch {
            throw StatisticsFileError(path: path, problem: "cannot open the EFI climate file (\(error))")
        }
        climateFile = file
        try ModelClimate.checkFits(file, path: path, variables: variables, latitudes: latitudes, longitudes: longitudes,
                                   leadHours: leadHours)
        for (v, name) in variables.enumerated() where file.contains(name) {
            let dataset = try file.openDataset(name)
            let s = dataset.shape
            let perLead = s.count == 4
            guard (s.count == 3 || (perLead && s[0] == leadHours.count)) && s.suffix(2) == [nlat, nlon] && s[s.count - 3] >= 2 else {
                throw StatisticsFileError(path: path, problem: "climate \(name) has shape \(s); it must be [quantile ≥ 2, \(nlat), \(nlon)] "
                                          + "or [lead_time \(leadHours.count), quantile ≥ 2, \(nlat), \(nlon)]")
            }
            let q = s[s.count - 3]
            climate[v] = (dataset, q, perLead, ExtremeForecastIndex.Coefficients(quantileCount: q))
        }
    }

    // MARK: - Per lead

    /// Collective: every rank calls it once per lead index, in order. `members`: this rank's members (any
    /// subset, any count, possibly empty), each with its initial-time index, ensemble index, fields
    /// [variable][lat][lon] float32 in physical units, and `isValid` (false: non-finite member, left out
    /// of everything). `truth(t)`: the verifying field [variable][lat][lon] of initial time t at this lead,
    /// or nil (no scores for that time); called on every rank, which must agree on nil.
    public func add(lead: Int, members: [StatisticsMember], truth: (Int) throws -> [Float]?) throws {
        precondition(!isFinished, "InSituStatistics.add after finish()")
        precondition(lead >= 0 && lead < leadHours.count, "InSituStatistics.add: lead \(lead) outside 0..<\(leadHours.count)")
        let (v, n, e, times) = (variables.count, nlat * nlon, membersPerTime, initialTimes.count)
        for member in members {
            precondition(member.timeIndex >= 0 && member.timeIndex < times && member.ensembleIndex >= 0 && member.ensembleIndex < e,
                         "InSituStatistics.add: member (time \(member.timeIndex), index \(member.ensembleIndex)) outside \(times) × \(e)")
            precondition(!member.isValid || member.fields.count == v * n,
                         "InSituStatistics.add: \(member.fields.count) values, expected \(v) variables × \(nlat) × \(nlon)")
        }
        let valid = members.filter(\.isValid)
        // after this: every rank knows which (time, index) pairs every rank holds
        let codes = valid.map { Int64($0.timeIndex * e + $0.ensembleIndex) }
        let gathered = communicator.size > 1 ? try communicator.allgatherv(codes) : (values: codes, counts: [codes.count])
        var holders = [[[Int]]](repeating: [[Int]](repeating: [], count: communicator.size), count: times)
        var offset = 0
        for (q, count) in gathered.counts.enumerated() {
            for code in gathered.values[offset..<(offset + count)] { holders[Int(code) / e][q].append(Int(code) % e) }
            offset += count
        }
        var lead = LeadAccumulator(lead: lead, owner: self, valid: valid, holders: holders,
                                   codes: gathered.values.map { (Int($0) / e, Int($0) % e) })
        for t in 0..<times { try lead.addTime(t, truth: truth) }
        try lead.conclude()
    }

    /// Writes scores.csv from scores.h5 and renames the three partial files to their final names
    /// (collective). No file appears under a final name before it is complete.
    public func finish() throws {
        precondition(!isFinished, "InSituStatistics.finish called twice")
        isFinished = true
        try flush()   // a full disk fails here, before the renames, not silently in the close
        statisticsFile?.close()
        scoresFile?.close()
        climate.removeAll()
        climateFile = nil
        try communicator.barrier()
        var failure: Error?
        if communicator.isRoot {
            do {
                if settings.scores {
                    let csv = try scoresCSV(fromScoresFile: partialPath(Self.scoresFileName))
                    try csv.write(toFile: partialPath(Self.scoresCSVName), atomically: false, encoding: .utf8)
                }
                for name in [Self.statisticsFileName, Self.scoresFileName, Self.scoresCSVName]
                    where FileManager.default.fileExists(atPath: partialPath(name)) {
                    if FileManager.default.fileExists(atPath: finalPath(name)) { try FileManager.default.removeItem(atPath: finalPath(name)) }
                    try FileManager.default.moveItem(atPath: partialPath(name), toPath: finalPath(name))
                }
            } catch { failure = error }
        }
        let failed = try communicator.allreduced(Int64(failure == nil ? 0 : 1), .max)
        // Every rank raises the same error type, so rank 0's message (the one with the cause) is printed once.
        if let failure {
            throw failure as? StatisticsFileError
                ?? StatisticsFileError(path: directory, problem: "could not finish the statistics files: \(failure)")
        }
        if failed != 0 { throw StatisticsFileError(path: directory, problem: "rank 0 could not finish the statistics files") }
    }
}

extension InSituStatistics {
    /// Writes buffered data to disk (collective), so that the partial files agree with a restart record.
    public func flush() throws {
        try statisticsFile?.file?.flush()
        try scoresFile?.file?.flush()
    }

    /// Closes the partial files without finishing them, for a run stopping to be resumed (collective).
    public func closeForRestart() {
        statisticsFile?.close()
        scoresFile?.close()
    }
}
