import Foundation
import MPI
import Statistics
import Storage

/// Drives `InSituStatistics` as the runner will, on a fixture ensemble of `tools/fixtures/scores.py`:
/// two initial times (time 0 the fixture's members, time 1 the same members in reverse index order), two
/// variables (`z500` the fixture, `t850` its negation), the members of each time scattered over the ranks
/// non-contiguously and passed in a shuffled order. The truth of time t at lead l is the fixture truth
/// `(2t + l) mod L` (what a makani truth file with `dhours` 6 and initial times 12 h apart gives). The test
/// suite compares the files with the references and across rank counts (InSituStatisticsTests).
enum InSituStatisticsSelfTest {
    struct Options {
        var fixture: String
        var caseName: String
        var directory: String
        var invalid: [Int]
        var drop: [Int]
        var leads: Range<Int>?
        var resume: Bool
        var finish: Bool
        var climate: String?
    }

    static let initialTimes = [Date(timeIntervalSince1970: 1_685_577_600), Date(timeIntervalSince1970: 1_685_577_600 + 12 * 3600)]

    static func run(_ checks: SelfTestChecks, options: Options) throws {
        let world = checks.world
        let file = try HDF5File.open(options.fixture)
        let group = try file.openGroup(options.caseName)
        let data = try group.openDataset("members")
        let (m, leads, nlat, nlon) = (data.shape[0], data.shape[1], data.shape[2], data.shape[3])
        let n = nlat * nlon
        let allMembers = try data.read(Float.self)  // [M][L][N]
        let truths = try group.openDataset("truth").read(Float.self)  // [L][N]
        let latWeights = try group.openDataset("lat_weights").read(Double.self)
        let settings = StatisticsSettings(
            thresholds: ["z500": try group.openDataset("thresholds").read(Double.self),
                         "t850": try group.openDataset("thresholds").read(Double.self)],
            quantileLevels: try group.openDataset("quantile_levels").read(Double.self),
            kSigma: try group.attribute("k_sigma", as: Double.self)[0], spectra: true,
            seed: UInt64(try group.attribute("seed", as: Int64.self)[0]),
            extremeForecastIndex: options.climate.map { ExtremeForecastIndexSettings(climatePath: $0) })
        let statistics = try InSituStatistics(
            variables: ["z500", "t850"], nlat: nlat, nlon: nlon,
            latitudes: (0..<nlat).map { 80 - 160 * Double($0) / Double(nlat - 1) },
            longitudes: (0..<nlon).map { 360 * Double($0) / Double(nlon) },
            pointWeights: (0..<n).map { latWeights[$0 / nlon] }, initialTimes: initialTimes,
            leadHours: (0..<leads).map { 6 * Double($0) }, membersPerTime: m, settings: settings,
            communicator: world, directory: options.directory, resume: options.resume)
        // Member (t, e) lives on rank (5e + 3t + 1) mod P; each rank passes its members shuffled.
        var mine = [(time: Int, index: Int)]()
        for t in 0..<2 {
            for e in 0..<m where (5 * e + 3 * t + 1) % world.size == world.rank && !(t == 0 && options.drop.contains(e)) {
                mine.append((t, e))
            }
        }
        mine.sort { ($0.index * 7 + $0.time * 13) % 11 < ($1.index * 7 + $1.time * 13) % 11 }
        for lead in options.leads.map({ $0.clamped(to: 0..<leads) }) ?? 0..<leads {
            let members = mine.map { member -> StatisticsMember in
                let source = member.time == 0 ? member.index : m - 1 - member.index
                let field = Array(allMembers[((source * leads + lead) * n)..<((source * leads + lead + 1) * n)])
                let invalid = member.time == 0 && options.invalid.contains(member.index)
                return StatisticsMember(timeIndex: member.time, ensembleIndex: member.index,
                                        fields: invalid ? [Float](repeating: .nan, count: 2 * n) : field + field.map { -$0 },
                                        isValid: !invalid)
            }
            try statistics.add(lead: lead, members: members) { t in
                let k = (2 * t + lead) % leads
                let field = Array(truths[(k * n)..<((k + 1) * n)])
                return field + field.map { -$0 }
            }
        }
        if options.finish { try statistics.finish() }
        checks.expect(true, "in-situ statistics ran")
    }
}
