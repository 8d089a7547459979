import Foundation
import Storage
import XCTest

/// `myriad score` end to end on the fixture ensembles of `tools/fixtures/scores.py`: the CSV matches the
/// references (properscoring, scores, xskillscore) at 1, 2 and 4 ranks (uneven member splits), the rank
/// counts agree exactly and the rest to float64 round-off, and bad input gets a clear error and no file.
final class ScoreCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try makeScratchDirectory("myriad-score") }

    /// Writes a fixture case as a members file (one channel "z500", the lead axis as time) and a truth file.
    private func makeInput(_ name: String) throws -> (forecast: String, truth: String, reference: HDF5Group, file: HDF5File) {
        let fixture = try HDF5File.open(StatisticsFixtureTests.path)
        let group = try fixture.openGroup(name)
        let members = try group.openDataset("members")
        let s = members.shape
        let forecast = directory.appendingPathComponent("\(name)-members.h5").path
        let truth = directory.appendingPathComponent("\(name)-truth.h5").path
        let f = try HDF5File.create(forecast)
        try f.createDataset("fields", of: Float.self, shape: [s[0], s[1], 1, s[2], s[3]]).write(try members.read(Float.self))
        try f.createStringDataset("channels", count: 1).writeStrings(["z500"])
        try f.createDataset("lead_time", of: Double.self, shape: [s[1]]).write((0..<s[1]).map { Double(6 * $0) })
        try f.createDataset("lat", of: Double.self, shape: [s[2]]).write((0..<s[2]).map { 80 - 160 * Double($0) / Double(s[2] - 1) })
        let t = try HDF5File.create(truth)
        try t.createDataset("fields", of: Float.self, shape: [s[1], 1, s[2], s[3]])
            .write(try group.openDataset("truth").read(Float.self))
        try t.createStringDataset("channels", count: 1).writeStrings(["z500"])
        return (forecast, truth, group, fixture)
    }

    /// metric → values per lead time, parsed from the CSV.
    private func parse(_ csv: String) -> [String: [Double]] {
        var rows: [String: [Double]] = [:]
        let lines = csv.split(separator: "\n")
        XCTAssertEqual(lines.first, "variable,lead_time,metric,value")
        for line in lines.dropFirst() {
            let parts = line.split(separator: ",")
            XCTAssertEqual(parts.count, 4, String(line))
            XCTAssertEqual(parts[0], "z500")
            rows[String(parts[2]), default: []].append(Double(parts[3])!)
        }
        return rows
    }

    func testMatchesReferencesAt1_2_4Ranks() throws {
        for name in ["m50", "m257-ties", "m2"] {
            let (forecast, truth, reference, _) = try makeInput(name)
            let thresholds = try reference.openDataset("thresholds").read(Double.self)
            let seed = try reference.attribute("seed", as: Int64.self)[0]
            var results: [[String: [Double]]] = []
            for ranks in [1, 2, 4] {
                let output = directory.appendingPathComponent("\(name)-\(ranks).csv").path
                try MPIJob.succeed(ranks: ranks, ["score", "--forecast", forecast, "--truth", truth, "--output", output,
                                                  "--weights", "cos-latitude", "--seed", "\(seed)",
                                                  "--thresholds=" + thresholds.map { "\($0)" }.joined(separator: ",")])
                results.append(parse(try String(contentsOfFile: output, encoding: .utf8)))
            }
            let one = results[0]
            // Against the references.
            let m = try reference.attribute("members", as: Int64.self)[0]
            for (metric, dataset) in [("rmse", "rmse"), ("spread", "spread"), ("spread_skill", "spread_skill"),
                                      ("crps", "crps_mean"), ("crps_fair", "crps_fair_mean"),
                                      ("outlier_fraction", "outlier_fraction"),
                                      ("best_member_rmse_pointwise", "best_member_rmse_pointwise"),
                                      ("best_member_rmse", "best_member_rmse"), ("mse_debiased", "mse_debiased"),
                                      ("energy_score", "energy_score")] {
                let expected = try reference.openDataset(dataset).read(Double.self)
                let actual = try XCTUnwrap(one[metric], "\(name): no \(metric) rows")
                XCTAssertEqual(actual.count, expected.count)
                for (a, e) in zip(actual, expected) {
                    XCTAssertEqual(a, e, accuracy: 1e-5 * abs(e), "\(name) \(metric)")
                }
            }
            let brier = try reference.openDataset("brier").read(Double.self)
            let histogram = try reference.openDataset("rank_histogram").read(Int64.self)
            let counts = try reference.openDataset("reliability_count").read(Int64.self)
            let leads = brier.count / thresholds.count
            let twCRPS = try reference.openDataset("tw_crps_mean").read(Double.self)
            let owCRPS = try reference.openDataset("ow_crps_mean").read(Double.self)
            let rocArea = try reference.openDataset("roc_area").read(Double.self), edi = try reference.openDataset("edi").read(Double.self)
            let hitRate = try reference.openDataset("roc_hit_rate").read(Double.self)
            let falseAlarmRate = try reference.openDataset("roc_false_alarm_rate").read(Double.self)
            for (k, tau) in thresholds.enumerated() {
                for (metric, expected) in [("tw_crps", twCRPS), ("ow_crps", owCRPS), ("roc_area", rocArea), ("edi", edi)] {
                    let actual = try XCTUnwrap(one["\(metric)_gt_\(tau)"], "\(name): no \(metric) rows")
                    for t in 0..<leads {
                        let e = expected[k * leads + t]
                        if e.isNaN { XCTAssertTrue(actual[t].isNaN, "\(name) \(metric) τ \(tau)"); continue }
                        XCTAssertEqual(actual[t], e, accuracy: 1e-5 * abs(e), "\(name) \(metric) τ \(tau)")
                    }
                }
                for level in 0...Int(m) {
                    let hits = try XCTUnwrap(one["roc_gt_\(tau)_level\(level)_hit_rate"])
                    let falseAlarms = try XCTUnwrap(one["roc_gt_\(tau)_level\(level)_false_alarm_rate"])
                    for t in 0..<leads {
                        let i = (k * leads + t) * (Int(m) + 1) + level
                        XCTAssertEqual(hits[t], hitRate[i], "\(name) ROC hit rate τ \(tau) level \(level)")
                        XCTAssertEqual(falseAlarms[t], falseAlarmRate[i], "\(name) ROC false-alarm rate τ \(tau) level \(level)")
                    }
                }
                let actual = try XCTUnwrap(one["brier_gt_\(tau)"])
                for t in 0..<leads { XCTAssertEqual(actual[t], brier[k * leads + t], accuracy: 1e-5 * brier[k * leads + t]) }
                for b in 0..<11 {
                    let c = try XCTUnwrap(one["reliability_gt_\(tau)_bin\(b)_count"])
                    for t in 0..<leads { XCTAssertEqual(Int64(c[t]), counts[(k * leads + t) * 11 + b], "\(name) τ \(tau) bin \(b)") }
                }
            }
            for r in 0...Int(m) {
                let actual = try XCTUnwrap(one["rank_\(r)"])
                for t in 0..<leads { XCTAssertEqual(Int64(actual[t]), histogram[t * (Int(m) + 1) + r], "\(name) rank \(r)") }
            }
            // Rank-count independence: the same rows, integers exactly, the rest to round-off.
            for other in results.dropFirst() {
                XCTAssertEqual(Set(other.keys), Set(one.keys))
                for (metric, values) in one {
                    for (a, b) in zip(values, other[metric]!) {
                        if a.isNaN { XCTAssertTrue(b.isNaN, "\(name) \(metric)"); continue }
                        XCTAssertEqual(a, b, accuracy: 1e-12 * abs(a), "\(name) \(metric) differs between rank counts")
                    }
                }
            }
        }
    }

    func testStandardOutputAndDefaults() throws {
        let (forecast, truth, _, _) = try makeInput("m5")
        let out = try MPIJob.succeed(ranks: 2, ["score", "--forecast", forecast, "--truth", truth])
        let rows = parse(out)
        XCTAssertEqual(rows["rank_0"]?.count, 3)
        XCTAssertEqual(rows.keys.filter { $0.hasPrefix("rank_") }.count, 6)
        XCTAssertNil(rows.keys.first { $0.hasPrefix("brier") }, "no thresholds, no Brier rows")
        XCTAssertTrue(out.contains("z500,12.0,crps,"), "lead times from the lead_time dataset")
    }

    /// NaN in a member or in the truth is refused, counted and named, on every rank count, never averaged in.
    func testNonFiniteMembersOrTruthAreRefusedWithCounts() throws {
        let (forecast, truth, _, _) = try makeInput("m5")
        do {
            let file = try HDF5File.open(forecast, access: .readWrite)
            try file.openDataset("fields").write([Float.nan, Float.nan, Float.infinity], offset: [3, 1, 0, 2, 4], count: [1, 1, 1, 1, 3])
        }
        let output = directory.appendingPathComponent("never.csv").path
        for ranks in [1, 2] {
            let result = try MPIJob.run(ranks: ranks, ["score", "--forecast", forecast, "--truth", truth, "--output", output])
            XCTAssertEqual(result.status, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("\(forecast): 3 non-finite value(s) in members"), result.stderr)
            XCTAssertTrue(result.stderr.contains("lead time 6.0 h, variable z500"), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output))
        }
    }

    func testBadInputGetsAClearErrorAndNoFile() throws {
        let (forecast, truth, _, _) = try makeInput("m5")
        let truthOnly = directory.appendingPathComponent("wrong.h5").path
        do {  // closed (and unlocked) at the end of this scope
            let wrong = try HDF5File.create(truthOnly)
            try wrong.createDataset("fields", of: Float.self, shape: [3, 2, 9, 16]).write([Float](repeating: 0, count: 3 * 2 * 144))
        }
        let output = directory.appendingPathComponent("never.csv").path
        let cases: [([String], String)] = [
            (["--forecast", forecast + ".missing", "--truth", truth], "cannot open file"),
            (["--forecast", forecast, "--truth", truthOnly], "it must be [time ≥ 3, channel 1, lat 9, lon 16]"),
            (["--forecast", truth, "--truth", truth], "a members file needs fields[member, time, channel, lat, lon]"),
            (["--forecast", forecast, "--truth", truth, "--weights", "gaussian"],
             "The value 'gaussian' is invalid for '--weights <weights>'. Please provide one of 'equiangular', 'legendre-gauss' or 'cos-latitude'."),
            (["--forecast", forecast, "--truth", truth, "--members-format", "csv"],
             "The value 'csv' is invalid for '--members-format <members-format>'. Please provide one of 'auto', 'fields' or 'runner'."),
            (["--forecast", forecast, "--truth", truth, "--thresholds", "1,x"], "--thresholds must be comma-separated numbers"),
        ]
        let unwritable = directory.appendingPathComponent("no-such-folder/scores.csv").path
        let early = try MPIJob.run(ranks: 2, ["score", "--forecast", forecast, "--truth", truth, "--output", unwritable])
        XCTAssertNotEqual(early.status, 0)
        XCTAssertTrue(early.stderr.contains("does not exist or is not writable"), early.stderr)
        for (arguments, message) in cases {
            let result = try MPIJob.run(ranks: 2, ["score"] + arguments + ["--output", output])
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(message), "expected '\(message)' in: \(result.stderr)")
            XCTAssertEqual(result.stderr.components(separatedBy: message).count - 1, 1, "reported once: \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: output))
        }
    }
}
