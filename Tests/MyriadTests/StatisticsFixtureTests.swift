import Foundation
import Kernels
import Sphere
import Statistics
import Storage
import XCTest

/// The Statistics module against `Fixtures/scores/scores.h5`, written by `tools/fixtures/scores.py`
/// with properscoring 0.1, scores 2.7.0, xskillscore 0.0.29 and scoringrules 0.10.0 (M = 2, 5, 50, 257, with and without ties).
/// In-process and single-rank; the distributed path is checked against the same file by
/// `ScoreCommandTests` at 1, 2 and 4 ranks.
final class StatisticsFixtureTests: XCTestCase {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/scores/scores.h5").path
    static let cases = ["m2", "m5", "m5-ties", "m50", "m257-ties"]
    /// Relative tolerance of the acceptance criterion; the measured agreement is printed per metric.
    static let tolerance = 1e-5

    /// A fixture case: members [M][L][N], truth [L][N], N = 9 × 16.
    struct Case {
        let name: String
        let group: HDF5Group
        let m: Int, leads: Int, nlat: Int, nlon: Int
        let members: [Float], truth: [Float]
        let latitudeWeights: [Double], thresholds: [Double], levels: [Double]
        let kSigma: Double, seed: UInt64
        var points: Int { nlat * nlon }

        init(file: HDF5File, name: String) throws {
            self.name = name
            group = try file.openGroup(name)
            let data = try group.openDataset("members")
            (m, leads, nlat, nlon) = (data.shape[0], data.shape[1], data.shape[2], data.shape[3])
            members = try data.read(Float.self)
            truth = try group.openDataset("truth").read(Float.self)
            latitudeWeights = try group.openDataset("lat_weights").read(Double.self)
            thresholds = try group.openDataset("thresholds").read(Double.self)
            levels = try group.openDataset("quantile_levels").read(Double.self)
            kSigma = try group.attribute("k_sigma", as: Double.self)[0]
            seed = UInt64(try group.attribute("seed", as: Int64.self)[0])
        }

        func member(_ i: Int, lead t: Int) -> [Float] {
            let start = (i * leads + t) * points
            return Array(members[start..<(start + points)])
        }

        /// [point][member] of one lead: what the ensemble transpose delivers on one rank.
        func pointMajor(lead t: Int) -> [Float] {
            var out = [Float](repeating: 0, count: points * m)
            for i in 0..<m { for p in 0..<points { out[p * m + i] = members[(i * leads + t) * points + p] } }
            return out
        }

        func truth(lead t: Int) -> [Float] { Array(truth[(t * points)..<((t + 1) * points)]) }

        func reference(_ dataset: String) throws -> [Double] { try group.openDataset(dataset).read(Double.self) }

        var configuration: ScoreConfiguration {
            ScoreConfiguration(thresholds: thresholds, quantileLevels: levels, kSigma: kSigma, seed: seed)
        }

        var pointWeights: [Double] { (0..<points).map { latitudeWeights[$0 / nlon] } }
    }

    /// Worst relative error seen per metric over all cases (printed at the end of each test).
    var agreement: [String: Double] = [:]

    /// Relative comparison with a tiny absolute floor (values that are exactly 0 in the reference).
    func compare(_ actual: [Double], _ expected: [Double], _ metric: String, _ label: String,
                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, "\(label) \(metric): count", file: file, line: line)
        var worst = agreement[metric] ?? 0
        for (i, (a, e)) in zip(actual, expected).enumerated() {
            if e.isNaN { XCTAssertTrue(a.isNaN, "\(label) \(metric)[\(i)]: \(a), expected NaN", file: file, line: line); continue }
            let error = abs(a - e)
            if e != 0 { worst = max(worst, error / abs(e)) }
            if error > Self.tolerance * abs(e) + 1e-12 {
                XCTFail("\(label) \(metric)[\(i)]: \(a), expected \(e)", file: file, line: line)
                return
            }
        }
        agreement[metric] = worst
    }

    func report() {
        for (metric, worst) in agreement.sorted(by: { $0.key < $1.key }) {
            print("agreement \(metric): max relative error \(String(format: "%.2e", worst))")
        }
    }

    func forEachCase(_ body: (Case) throws -> Void) throws {
        let file = try HDF5File.open(Self.path)
        for name in Self.cases { try body(try Case(file: file, name: name)) }
        report()
    }

    // MARK: - Per-point sorted scores and the global summary

    func testSlabScoresAndSummary() throws {
        try forEachCase { c in
            var fields: [String: [Double]] = [:]
            var quantiles = [[Double]](repeating: [], count: c.levels.count)
            var slabExceedance = [[Double]](repeating: [], count: c.thresholds.count)
            var ranks = [Int](), histogram = [Int]()
            var perLead: [String: [Double]] = [:]
            var conventions: [String: [Double]] = [:]
            var brier = [[Double]](repeating: [], count: c.thresholds.count)
            var reliabilityCount = [[Double]](repeating: [], count: c.thresholds.count)
            var reliabilityObserved = reliabilityCount, reliabilityForecast = reliabilityCount
            var twCRPS = [[Double]](repeating: [], count: c.thresholds.count), twCRPSMean = twCRPS
            var owCRPS = twCRPS, owCRPSMean = twCRPS
            var hitRate = twCRPS, falseAlarmRate = twCRPS, rocArea = twCRPS, edi = twCRPS
            for t in 0..<c.leads {
                let members = c.pointMajor(lead: t)
                let truth = c.truth(lead: t)
                // Two uneven slabs, as on two ranks, must give the same per-point values as one.
                let cut = c.points / 3
                let slabs = [0..<cut, cut..<c.points].map { range in
                    members[(range.lowerBound * c.m)..<(range.upperBound * c.m)].withUnsafeBufferPointer { x in
                        truth[range].withUnsafeBufferPointer { y in
                            SlabScores(members: x, truth: y, memberCount: c.m, firstPoint: range.lowerBound,
                                       lead: t, variable: 0, configuration: c.configuration)
                        }
                    }
                }
                let whole = members.withUnsafeBufferPointer { x in
                    truth.withUnsafeBufferPointer { y in
                        SlabScores(members: x, truth: y, memberCount: c.m, firstPoint: 0, lead: t, variable: 0,
                                   configuration: c.configuration)
                    }
                }
                XCTAssertEqual(slabs[0].crps + slabs[1].crps, whole.crps, "\(c.name): slabs agree bit for bit")
                XCTAssertEqual(slabs[0].rank + slabs[1].rank, whole.rank, "\(c.name): slab ranks")
                var summary = VerificationSummary(memberCount: c.m, thresholdCount: c.thresholds.count)
                let weights = c.pointWeights
                for (slab, range) in zip(slabs, [0..<cut, cut..<c.points]) {
                    truth[range].withUnsafeBufferPointer { y in
                        weights[range].withUnsafeBufferPointer { w in
                            summary.add(slab, truth: y, pointWeights: w)
                            members[(range.lowerBound * c.m)..<(range.upperBound * c.m)].withUnsafeBufferPointer {
                                summary.addEnergy(members: $0, truth: y, pointWeights: w)
                            }
                        }
                    }
                }
                fields["mean", default: []] += whole.statistics.mean
                fields["std", default: []] += whole.statistics.variance.map { $0.squareRoot() }
                fields["min", default: []] += whole.statistics.minimum
                fields["max", default: []] += whole.statistics.maximum
                fields["crps", default: []] += whole.crps
                fields["crps_fair", default: []] += whole.fairCRPS
                fields["outlier", default: []] += whole.outlier
                fields["beyond_k_sigma", default: []] += whole.statistics.beyondKSigma
                fields["best_error", default: []] += whole.bestError
                for k in c.thresholds.indices { slabExceedance[k] += whole.statistics.exceedance[(k * c.points)..<((k + 1) * c.points)] }
                for k in c.levels.indices { quantiles[k] += whole.statistics.quantiles[(k * c.points)..<((k + 1) * c.points)] }
                ranks += whole.rank
                histogram += summary.rankHistogram
                perLead["rmse", default: []].append(summary.rmse)
                perLead["spread", default: []].append(summary.spread)
                perLead["spread_skill", default: []].append(summary.spreadSkill)
                conventions["wb2", default: []].append(summary.spreadSkillWB2)
                conventions["makani", default: []].append(summary.spreadSkillMakani)
                perLead["crps_mean", default: []].append(summary.crps)
                perLead["crps_fair_mean", default: []].append(summary.fairCRPS)
                perLead["outlier_fraction", default: []].append(summary.outlierFraction)
                perLead["best_member_rmse_pointwise", default: []].append(summary.pointwiseBestMemberRMSE)
                perLead["mse_debiased", default: []].append(summary.debiasedMSE)
                perLead["energy_score", default: []].append(summary.energyScore)
                // The one best member over the field, from the members split unevenly in two parts.
                let everyone = (0..<c.m).flatMap { c.member($0, lead: t) }
                let errors = BestMember.meanSquaredErrors(Array(everyone[..<(c.m / 3 * c.points)]), truth: truth, pointWeights: weights)
                    + BestMember.meanSquaredErrors(Array(everyone[(c.m / 3 * c.points)...]), truth: truth, pointWeights: weights)
                perLead["best_member_rmse", default: []].append(errors.min()!.squareRoot())
                for k in c.thresholds.indices {
                    brier[k].append(summary.brier(threshold: k))
                    twCRPS[k] += whole.thresholdWeightedCRPS[(k * c.points)..<((k + 1) * c.points)]
                    twCRPSMean[k].append(summary.thresholdWeightedCRPS(threshold: k))
                    owCRPS[k] += whole.outcomeWeightedCRPS[(k * c.points)..<((k + 1) * c.points)]
                    owCRPSMean[k].append(summary.outcomeWeightedCRPS(threshold: k))
                    for level in 0...c.m {
                        hitRate[k].append(summary.hitRate(threshold: k, level: level))
                        falseAlarmRate[k].append(summary.falseAlarmRate(threshold: k, level: level))
                    }
                    rocArea[k].append(summary.rocArea(threshold: k))
                    edi[k].append(summary.extremalDependenceIndex(threshold: k))
                    for b in 0..<ScoreConfiguration.reliabilityBinCount {
                        let r = summary.reliability(threshold: k, bin: b)
                        reliabilityCount[k].append(Double(r.count))
                        reliabilityObserved[k].append(r.observed)
                        reliabilityForecast[k].append(r.forecast)
                    }
                }
            }
            for (name, values) in fields { compare(values, try c.reference(name), name, c.name) }
            XCTAssertEqual(slabExceedance.flatMap { $0 }, try c.reference("exceedance"), "\(c.name) slab exceedance")
            compare(quantiles.flatMap { $0 }, try c.reference("quantiles"), "quantiles (linear)", c.name)
            XCTAssertEqual(ranks.map(Int64.init), try c.group.openDataset("rank").read(Int64.self), "\(c.name) ranks")
            XCTAssertEqual(histogram.map(Int64.init), try c.group.openDataset("rank_histogram").read(Int64.self),
                           "\(c.name) rank histogram")
            for (name, values) in perLead { compare(values, try c.reference(name), name, c.name) }
            // WeatherBench2's and makani's spread–skill from the reference's RMSE (xskillscore) and spread.
            let (rmse, spread) = (try c.reference("rmse"), try c.reference("spread"))
            compare(conventions["wb2"]!, zip(spread, rmse).map { $0 / $1 }, "spread_skill_wb2", c.name)
            compare(conventions["makani"]!, zip(spread, rmse).map { s, r in (s * s / (r * r - s * s / Double(c.m))).squareRoot() },
                    "spread_skill_makani", c.name)
            compare(brier.flatMap { $0 }, try c.reference("brier"), "brier", c.name)
            XCTAssertEqual(reliabilityCount.flatMap { $0 }.map { Int64($0) },
                           try c.group.openDataset("reliability_count").read(Int64.self), "\(c.name) reliability counts")
            compare(reliabilityObserved.flatMap { $0 }, try c.reference("reliability_observed"), "reliability observed", c.name)
            compare(reliabilityForecast.flatMap { $0 }, try c.reference("reliability_forecast"), "reliability forecast", c.name)
            compare(twCRPS.flatMap { $0 }, try c.reference("tw_crps"), "tw_crps (scores)", c.name)
            compare(twCRPSMean.flatMap { $0 }, try c.reference("tw_crps_mean"), "tw_crps mean", c.name)
            // NaN where no member exceeds τ, alike (compare checks NaN against NaN).
            compare(owCRPS.flatMap { $0 }, try c.reference("ow_crps"), "ow_crps (scoringrules)", c.name)
            compare(owCRPSMean.flatMap { $0 }, try c.reference("ow_crps_mean"), "ow_crps mean", c.name)
            // Rates of exact counts: the same quotient of the same integers, so equal to the last bit.
            XCTAssertEqual(hitRate.flatMap { $0 }, try c.reference("roc_hit_rate"), "\(c.name) ROC hit rates (scores)")
            XCTAssertEqual(falseAlarmRate.flatMap { $0 }, try c.reference("roc_false_alarm_rate"), "\(c.name) ROC false-alarm rates (scores)")
            compare(rocArea.flatMap { $0 }, try c.reference("roc_area"), "roc_area (scores AUC)", c.name)
            compare(edi.flatMap { $0 }, try c.reference("edi"), "edi", c.name)
        }
    }

    /// Ties are broken by the counter RNG: the rank lies in [below, below + ties], is a pure function of
    /// (seed, lead, variable, point), and every tied position is reached (all M + 1 for full ties).
    func testRankTieBreakIsDeterministicAndCoversTheTies() {
        let tieBreak = RankTieBreak(seed: 7)
        var seen = Set<Int>()
        for point in 0..<2000 {
            let r = tieBreak.rank(below: 3, ties: 4, lead: 2, variable: 1, point: point)
            XCTAssertTrue((3...7).contains(r))
            XCTAssertEqual(r, RankTieBreak(seed: 7).rank(below: 3, ties: 4, lead: 2, variable: 1, point: point))
            seen.insert(r)
        }
        XCTAssertEqual(seen, Set(3...7))
        XCTAssertEqual(tieBreak.rank(below: 5, ties: 0, lead: 0, variable: 0, point: 9), 5)
        // Another seed changes the draws.
        let differ = (0..<100).filter {
            tieBreak.rank(below: 0, ties: 9, lead: 0, variable: 0, point: $0)
                != RankTieBreak(seed: 8).rank(below: 0, ties: 9, lead: 0, variable: 0, point: $0)
        }
        XCTAssertGreaterThan(differ.count, 50)
    }

    /// Moments of a field far from zero (temperatures near 280 K, spread 0.01 K): the two-pass float64
    /// variance and the shifted pairwise CRPS keep their relative accuracy where naive sums would not.
    func testLargeOffsetKeepsAccuracy() {
        let m = 64
        let values: [Float] = (0..<m).map { 280 + 0.01 * Float($0 - m / 2) / Float(m) }
        let moments = values.withUnsafeBufferPointer { SlabStatistics(members: $0, memberCount: m, configuration: ScoreConfiguration()) }
        let exact = values.map(Double.init)
        let mean = exact.reduce(0, +) / Double(m)
        let variance = exact.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(m - 1)
        XCTAssertEqual(moments.variance[0], variance, accuracy: 1e-9 * variance)
        let sorted = exact.sorted()
        let naive = exact.map { a in exact.map { abs(a - $0) }.reduce(0, +) }.reduce(0, +)
        sorted.withUnsafeBufferPointer { XCTAssertEqual(SortedEnsemble.pairwiseAbsoluteDifference($0), naive / 2, accuracy: 1e-9 * naive) }
    }
}

/// The distributed statistics (`myriad selftest statistics`) against the fixture at 1, 2 and 4 ranks.
final class StatisticsMPITests: XCTestCase {
    func testStatisticsSuiteOn1Rank() throws { try expectPass(ranks: 1) }
    func testStatisticsSuiteOn2Ranks() throws { try expectPass(ranks: 2) }
    func testStatisticsSuiteOn4Ranks() throws { try expectPass(ranks: 4) }

    private func expectPass(ranks: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let out = try MPIJob.succeed(ranks: ranks, ["selftest", "statistics", "--fixture", StatisticsFixtureTests.path],
                                     file: file, line: line)
        // 5 cases × 3 leads × (10 slab + 3 exceedance + 1 transpose) checks per rank.
        XCTAssertTrue(out.contains("selftest statistics: \(15 * 14 * ranks) checks passed on \(ranks) rank"), out,
                      file: file, line: line)
    }
}

/// Mean member spectrum and spectrum of the ensemble mean against closed forms: members
/// `a_i cos θ + b_i sin θ cos φ` have `E_i(1) = (a_i² + b_i²) 4π/3` and nothing else.
final class EnsembleSpectraTests: XCTestCase {
    func testClosedForm() throws {
        let (nlat, nlon) = (16, 32)
        let sht = try RealSHT<Double>(grid: .legendreGauss, nlat: nlat, nlon: nlon)
        let nodes = legendreGaussNodes(nlat)
        let a: [Double] = [0.3, -1.2, 2.0, 0.7, 1.1], b: [Double] = [1.0, 0.4, -0.5, 0.0, 2.2]
        var fields = [[Double]]()
        for i in a.indices {
            var field = [Double]()
            for k in 0..<nlat {
                for j in 0..<nlon {
                    let phi = 2 * Double.pi * Double(j) / Double(nlon)
                    field.append(Double(Float(a[i] * nodes[k] + b[i] * (1 - nodes[k] * nodes[k]).squareRoot() * cos(phi))))
                }
            }
            fields.append(field)
        }
        let spectra = fields.map { EnsembleSpectra.spectrum(of: $0, sht: sht) }
        let mean = (0..<(nlat * nlon)).map { p in fields.map { $0[p] }.reduce(0, +) / Double(fields.count) }
        let unit = 4 * Double.pi / 3
        let meanSquares = zip(a, b).map { $0 * $0 + $1 * $1 }.reduce(0, +) / Double(a.count)
        let (abar, bbar) = (a.reduce(0, +) / Double(a.count), b.reduce(0, +) / Double(b.count))
        let members = (0..<sht.lmax).map { l in spectra.map { $0[l] }.reduce(0, +) / Double(spectra.count) }
        let ofMean = EnsembleSpectra.spectrum(of: mean, sht: sht)
        XCTAssertEqual(members.count, sht.lmax)
        for l in 0..<sht.lmax {
            // float32 fields: relative accuracy ~1e-7
            XCTAssertEqual(members[l], l == 1 ? meanSquares * unit : 0, accuracy: 1e-6 * meanSquares * unit, "Ē(\(l))")
            XCTAssertEqual(ofMean[l], l == 1 ? (abar * abar + bbar * bbar) * unit : 0, accuracy: 1e-6 * meanSquares * unit, "E_x̄(\(l))")
        }
    }
}
