import Foundation
import Statistics
import Storage
import XCTest

/// The in-situ statistics engine (`InSituStatistics`) driven by `myriad selftest statistics-insitu` on the
/// fixture ensembles of `tools/fixtures/scores.py`, members of each initial time scattered over the ranks:
/// the files against the references (properscoring, scores, xskillscore, numpy) at 1, 2 and 4 ranks, bit for
/// bit across rank counts, left-out members, resume, offline `myriad score --output-directory`, xarray.
final class InSituStatisticsTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try makeScratchDirectory("myriad-insitu") }

    private func run(ranks: Int, _ name: String, _ arguments: [String] = [], fixtureCase: String = "m50") throws -> URL {
        let output = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        try MPIJob.succeed(ranks: ranks, ["selftest", "statistics-insitu", "--fixture", StatisticsFixtureTests.path,
                                          "--fixture-case", fixtureCase, "--directory", output.path] + arguments)
        return output
    }

    /// Every numeric dataset of a file, as float64.
    private func contents(_ path: URL) throws -> [String: [Double]] {
        let file = try HDF5File.open(path.path)
        var result: [String: [Double]] = [:]
        for name in try file.memberNames() { result[name] = try file.openDataset(name).read(Double.self) }
        return result
    }

    private func assertIdentical(_ a: [String: [Double]], _ b: [String: [Double]], _ what: String,
                                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(Set(a.keys), Set(b.keys), what, file: file, line: line)
        for (name, values) in a {
            let other = b[name] ?? []
            let same = values.count == other.count && zip(values, other).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
            XCTAssertTrue(same, "\(what): \(name) differs", file: file, line: line)
        }
    }

    /// (variable, lead, metric) → value
    private func csv(_ path: URL) throws -> [String: Double] {
        let lines = try String(contentsOf: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.first, "variable,lead_time,metric,value")
        var rows: [String: Double] = [:]
        for line in lines.dropFirst() {
            let parts = line.split(separator: ",")
            rows[parts[0...2].joined(separator: ",")] = Double(parts[3])!
        }
        return rows
    }

    private func assertClose(_ a: [String: Double], _ b: [String: Double], _ tolerance: Double, _ what: String) {
        XCTAssertEqual(Set(a.keys), Set(b.keys), what)
        var worst = 0.0
        for (key, x) in a {
            guard let y = b[key] else { continue }
            if x.isNaN { XCTAssertTrue(y.isNaN, "\(what): \(key)"); continue }
            let relative = abs(x - y) / max(abs(x), 1e-300)
            worst = max(worst, x == y ? 0 : relative)
            XCTAssertLessThanOrEqual(relative, tolerance, "\(what): \(key) \(x) vs \(y)")
        }
        print("agreement \(what): max relative difference \(worst)")
    }

    private func assertRelative(_ actual: [Double], _ expected: [Double], _ tolerance: Double, _ what: String) {
        XCTAssertEqual(actual.count, expected.count, what)
        var worst = 0.0
        for (a, e) in zip(actual, expected) {
            let relative = abs(a - e) / max(abs(e), 1e-6)
            worst = max(worst, relative)
        }
        XCTAssertLessThanOrEqual(worst, tolerance, what)
        print("agreement \(what): \(worst)")
    }

    func testMatchesReferencesAndIsIdenticalAt1_2_4Ranks() throws {
        for name in ["m50", "m5-ties"] {
            let outputs = try [1, 2, 4].map { try run(ranks: $0, "\(name)-\($0)", fixtureCase: name) }
            let statistics = try outputs.map { try contents($0.appendingPathComponent("statistics.h5")) }
            let scores = try outputs.map { try contents($0.appendingPathComponent("scores.h5")) }
            for k in 1..<3 {
                assertIdentical(statistics[0], statistics[k], "\(name) statistics.h5 at \([1, 2, 4][k]) ranks vs 1")
                assertClose(try csv(outputs[0].appendingPathComponent("scores.csv")), try csv(outputs[k].appendingPathComponent("scores.csv")),
                            1e-12, "\(name) scores.csv at \([1, 2, 4][k]) ranks vs 1")
                XCTAssertEqual(scores[0]["z500_rank_histogram"], scores[k]["z500_rank_histogram"], "\(name) rank histogram")
            }
            let reference = try HDF5File.open(StatisticsFixtureTests.path).openGroup(name)
            func ref(_ dataset: String) throws -> [Double] { try reference.openDataset(dataset).read(Double.self) }
            let s = statistics[0]
            let field = s["z500_mean"]!.count / 2  // [time 2][lead][lat][lon]
            for (variable, dataset) in [("z500_mean", "mean"), ("z500_std", "std"), ("z500_min", "min"), ("z500_max", "max"),
                                        ("z500_beyond_ksigma", "beyond_k_sigma")] {
                for t in 0..<2 {  // time 1 holds the same members in reverse index order
                    assertRelative(Array(s[variable]![(t * field)..<((t + 1) * field)]), try ref(dataset), 1e-5, "\(name) \(variable) time \(t)")
                }
            }
            XCTAssertEqual(s["t850_mean"]!, s["z500_mean"]!.map { -$0 }, "t850 = −z500")
            // [level][time][lead][point] against [level][lead][point] at time 0
            let quantiles = try ref("quantiles"), exceedance = try ref("exceedance")
            let levels = quantiles.count / field, thresholds = exceedance.count / field
            assertRelative((0..<levels).flatMap { q in s["z500_quantile"]![(2 * q * field)..<((2 * q + 1) * field)] }, quantiles, 1e-5, "\(name) quantiles")
            assertRelative((0..<thresholds).flatMap { q in s["z500_exceedance"]![(2 * q * field)..<((2 * q + 1) * field)] }, exceedance, 1e-5, "\(name) exceedance")
            // Scores of time 0 ([time][lead]) against the references.
            let sc = scores[0]
            let leads = try ref("rmse").count
            for (metric, dataset) in [("rmse", "rmse"), ("spread", "spread"), ("spread_skill", "spread_skill"), ("crps", "crps_mean"),
                                      ("crps_fair", "crps_fair_mean"), ("outlier_fraction", "outlier_fraction"),
                                      ("best_member_rmse_pointwise", "best_member_rmse_pointwise"), ("best_member_rmse", "best_member_rmse"),
                                      ("mse_debiased", "mse_debiased"), ("energy_score", "energy_score")] {
                assertRelative(Array(sc["z500_\(metric)_by_time"]![0..<leads]), try ref(dataset), 1e-5, "\(name) \(metric)")
            }
            // The energy score over times: the mean of the per-time scores.
            let energy = sc["z500_energy_score_by_time"]!
            assertRelative(sc["z500_energy_score"]!, (0..<leads).map { (energy[$0] + energy[leads + $0]) / 2 }, 1e-15, "\(name) energy score over times")
            // Both variables together: t850 = −z500 (truth too), so every squared norm doubles: √2 × z500's score.
            assertRelative(Array(sc["energy_score_by_time"]![0..<leads]), try ref("energy_score").map { 2.0.squareRoot() * $0 }, 1e-12,
                           "\(name) energy score of z500 and t850")
            // Per threshold, time 0 of [threshold][time 2][lead](…): tw-CRPS, ROC area, EDI and the rates (exact).
            func timeZero(_ dataset: String, width: Int = 1) -> [Double] {
                (0..<thresholds).flatMap { k in sc[dataset]![(k * 2 * leads * width)..<((k * 2 + 1) * leads * width)] }
            }
            assertRelative(timeZero("z500_tw_crps_by_time"), try ref("tw_crps_mean"), 1e-5, "\(name) tw-CRPS")
            // The outcome-weighted CRPS at every rank count against scoringrules (NaN where no member exceeds τ anywhere).
            for (k, other) in scores.enumerated() {
                let ow = (0..<thresholds).flatMap { j in other["z500_ow_crps_by_time"]![(j * 2 * leads)..<(j * 2 * leads + leads)] }
                let expected = try ref("ow_crps_mean")
                XCTAssertEqual(ow.map(\.isNaN), expected.map(\.isNaN), "\(name) ow-CRPS NaN alike at \([1, 2, 4][k]) ranks")
                assertRelative(ow.filter { !$0.isNaN }, expected.filter { !$0.isNaN }, 1e-5, "\(name) ow-CRPS at \([1, 2, 4][k]) ranks")
            }
            assertRelative(timeZero("z500_roc_area_by_time"), try ref("roc_area"), 1e-5, "\(name) ROC area")
            let edi = try ref("edi")
            XCTAssertEqual(timeZero("z500_edi_by_time").map(\.isNaN), edi.map(\.isNaN), "\(name) EDI NaN where undefined")
            assertRelative(timeZero("z500_edi_by_time").filter { !$0.isNaN }, edi.filter { !$0.isNaN }, 1e-5, "\(name) EDI")
            try checkSubsamples(scores, name: name, leads: leads)
            let rocLevels = try reference.openDataset("roc_hit_rate").shape.last!
            XCTAssertEqual(timeZero("z500_roc_hit_rate_by_time", width: rocLevels), try ref("roc_hit_rate"), "\(name) ROC hit rates")
            XCTAssertEqual(timeZero("z500_roc_false_alarm_rate_by_time", width: rocLevels), try ref("roc_false_alarm_rate"), "\(name) ROC false-alarm rates")
            let m = Int(try reference.attribute("members", as: Int64.self)[0])
            let histogram = try ref("rank_histogram")  // [lead][M + 1]; scores.h5 has [time][lead][E + 1]
            XCTAssertEqual(Array(sc["z500_rank_histogram_by_time"]![0..<(leads * (m + 1))]), histogram, "\(name) rank histogram")
            assertRelative((0..<thresholds).flatMap { k in sc["z500_brier_by_time"]![(k * 2 * leads)..<(k * 2 * leads + leads)] },
                           try ref("brier"), 1e-5, "\(name) Brier")
            XCTAssertEqual(sc["members_by_time"], [Double](repeating: Double(m), count: 2 * leads))
        }
    }

    /// The sub-ensemble scores of time 0 (the fixture's members; truth of lead l the fixture's lead l) at each
    /// rank count against a plain reference over the same drawn members (`EnsembleSizeTests.reference`).
    private func checkSubsamples(_ scores: [[String: [Double]]], name: String, leads: Int) throws {
        let c = try StatisticsFixtureTests.Case(file: try HDF5File.open(StatisticsFixtureTests.path), name: name)
        let sizes = EnsembleSizeSummary.sizes(upTo: c.m)
        let weights = c.pointWeights
        let total = weights.reduce(0, +)
        var expected: [String: [Double]] = [:]
        for t in 0..<leads {
            let members = c.pointMajor(lead: t), truth = c.truth(lead: t)
            let errors = (0..<c.m).map { i in (0..<c.points).map { p in
                weights[p] * pow(Double(members[p * c.m + i]) - Double(truth[p]), 2) }.reduce(0, +) / total }
            for size in sizes {
                let positions = EnsembleSizeSummary.subsample(size: size, time: 0, ensembleSize: c.m, valid: Array(0..<c.m), seed: c.seed)
                let r = EnsembleSizeTests.reference(members: members, m: c.m, positions: positions, truth: truth, weights: weights)
                expected["crps", default: []].append(r.crps)
                expected["outlier_fraction", default: []].append(r.outlier)
                expected["in_range", default: []].append(r.inRange)
                expected["best_member_rmse", default: []].append(positions.map { errors[$0] }.min()!.squareRoot())
            }
        }
        for (k, file) in scores.enumerated() {
            for (metric, values) in expected {
                let actual = Array(file["z500_subsample_\(metric)_by_time"]![0..<(leads * sizes.count)])
                assertRelative(actual, values, 1e-12, "\(name) sub-ensemble \(metric) at \([1, 2, 4][k]) ranks")
            }
        }
    }

    func testLeftOutMembersEqualTheEnsembleWithoutThem() throws {
        let invalid = try run(ranks: 2, "invalid", ["--invalid", "3,7"])
        let dropped = try run(ranks: 2, "dropped", ["--drop", "3,7"])
        for file in ["statistics.h5", "scores.h5"] {
            assertIdentical(try contents(invalid.appendingPathComponent(file)), try contents(dropped.appendingPathComponent(file)),
                            "invalid vs dropped \(file)")
        }
        XCTAssertEqual(try String(contentsOf: invalid.appendingPathComponent("scores.csv"), encoding: .utf8),
                       try String(contentsOf: dropped.appendingPathComponent("scores.csv"), encoding: .utf8))
        let members = try contents(invalid.appendingPathComponent("statistics.h5"))["members"]!
        XCTAssertEqual(members, [48, 48, 48, 50, 50, 50])
    }

    func testResumeFromPartialFilesGivesTheSameFiles() throws {
        let whole = try run(ranks: 2, "whole")
        let resumed = try run(ranks: 2, "resumed", ["--end-lead", "2", "--no-finish"])
        for file in ["statistics.h5", "scores.h5", "scores.csv"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: resumed.appendingPathComponent(file).path), "\(file) before finish")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: resumed.appendingPathComponent("statistics.h5.partial").path))
        try MPIJob.succeed(ranks: 4, ["selftest", "statistics-insitu", "--fixture", StatisticsFixtureTests.path, "--directory", resumed.path,
                                      "--resume", "--first-lead", "1"])
        for file in ["statistics.h5", "scores.h5"] {
            let a = try contents(whole.appendingPathComponent(file)), b = try contents(resumed.appendingPathComponent(file))
            if file == "statistics.h5" { assertIdentical(a, b, "resumed \(file)") }
            XCTAssertEqual(a["completed"], b["completed"])
        }
        assertClose(try csv(whole.appendingPathComponent("scores.csv")), try csv(resumed.appendingPathComponent("scores.csv")), 1e-12,
                    "resumed (4 ranks) vs whole (2 ranks) scores.csv")
        XCTAssertFalse(FileManager.default.fileExists(atPath: resumed.appendingPathComponent("statistics.h5.partial").path))
    }

    /// The selftest's ensemble as the runner's members file (member 3 of time 0 marked invalid) and a makani
    /// truth with data.json: `myriad score --output-directory` writes the same files as the engine in-situ.
    func testOfflineScoreEqualsInSitu() throws {
        let insitu = try run(ranks: 4, "insitu", ["--invalid", "3"])
        let reference = try HDF5File.open(StatisticsFixtureTests.path).openGroup("m50")
        let data = try reference.openDataset("members")
        let s = data.shape
        let (m, leads, nlat, nlon) = (s[0], s[1], s[2], s[3])
        let n = nlat * nlon
        let members = try data.read(Float.self), truth = try reference.openDataset("truth").read(Float.self)
        let forecast = directory.appendingPathComponent("members.nc").path
        do {
            let file = try NetCDFFile(creating: forecast)
            try file.defineCoordinate("ensemble", values: (0..<m).map { Int64($0) })
            try file.defineCoordinate("time", values: [468_216.0, 468_228.0], attributes: NetCDFAttribute.hoursSinceEpoch)
            try file.defineCoordinate("lead_time", values: (0..<leads).map { 6 * Double($0) }, attributes: NetCDFAttribute.leadTimeHours)
            try file.defineCoordinate("lat", values: (0..<nlat).map { 80 - 160 * Double($0) / Double(nlat - 1) })
            try file.defineCoordinate("lon", values: (0..<nlon).map { 360 * Double($0) / Double(nlon) })
            for (name, sign) in [("z500", Float(1)), ("t850", Float(-1))] {
                var values = [Float]()
                for e in 0..<m { for t in 0..<2 { for l in 0..<leads {
                    let source = t == 0 ? e : m - 1 - e
                    values += members[((source * leads + l) * n)..<((source * leads + l + 1) * n)].map { sign * $0 }
                } } }
                try file.defineVariable(name, of: Float.self, dimensions: ["ensemble", "time", "lead_time", "lat", "lon"], fillValue: .nan)
                    .write(values)
            }
            try file.defineVariable("member_valid", of: Int32.self, dimensions: ["ensemble", "time"], fillValue: 1)
                .write((0..<m).flatMap { e in [e == 3 ? Int32(0) : 1, 1] })
        }
        let truthFolder = directory.appendingPathComponent("truth")
        try FileManager.default.createDirectory(at: truthFolder, withIntermediateDirectories: true)
        do {  // truth k = fixture truth k mod L, channels in another order than the members file
            let file = try HDF5File.create(truthFolder.appendingPathComponent("truth.h5").path)
            var values = [Float]()
            for k in 0..<5 {
                let field = truth[((k % leads) * n)..<((k % leads + 1) * n)]
                values += field.map { -$0 } + field
            }
            try file.createDataset("fields", of: Float.self, shape: [5, 2, nlat, nlon]).write(values)
        }
        try #"{"coords": {"channel": ["t850", "z500"]}, "dhours": 6, "start_time": "2023-06-01T00:00:00Z"}"#
            .write(to: truthFolder.appendingPathComponent("data.json"), atomically: true, encoding: .utf8)
        let offline = directory.appendingPathComponent("offline")
        try FileManager.default.createDirectory(at: offline, withIntermediateDirectories: true)
        let thresholds = try reference.openDataset("thresholds").read(Double.self).map { "\($0)" }.joined(separator: ",")
        let levels = try reference.openDataset("quantile_levels").read(Double.self).map { "\($0)" }.joined(separator: ",")
        try MPIJob.succeed(ranks: 2, ["score", "--forecast", forecast, "--truth", truthFolder.appendingPathComponent("truth.h5").path,
                                      "--output-directory", offline.path, "--weights", "cos-latitude", "--spectra",
                                      "--thresholds=" + thresholds, "--quantiles=" + levels,
                                      "--k-sigma", "\(try reference.attribute("k_sigma", as: Double.self)[0])",
                                      "--seed", "\(try reference.attribute("seed", as: Int64.self)[0])"])
        assertIdentical(try contents(insitu.appendingPathComponent("statistics.h5")), try contents(offline.appendingPathComponent("statistics.h5")),
                        "offline (2 ranks) vs in-situ (4 ranks) statistics.h5")
        assertClose(try csv(insitu.appendingPathComponent("scores.csv")), try csv(offline.appendingPathComponent("scores.csv")), 1e-12,
                    "offline (2 ranks) vs in-situ (4 ranks) scores.csv")
    }

    func testXarrayOpensTheFiles() throws {
        let output = try run(ranks: 2, "xarray")
        let script = """
        import sys, numpy as np, xarray as xr
        for engine in ("netcdf4", "h5netcdf"):
            s = xr.open_dataset(sys.argv[1] + "/statistics.h5", engine=engine)
            assert s["z500_mean"].dims == ("time", "lead_time", "lat", "lon"), s["z500_mean"].dims
            assert s["z500_quantile"].dims[0] == "quantile" and s["z500_exceedance"].dims[0] == "threshold_z500"
            assert s["z500_spectrum_members"].dims == ("time", "lead_time", "wavenumber")
            assert str(s.time.values[1]).startswith("2023-06-01T12"), s.time.values
            assert s.lead_time.values[2] == np.timedelta64(12, "h"), s.lead_time.values
            assert bool(np.isfinite(s["z500_std"]).all())
            c = xr.open_dataset(sys.argv[1] + "/scores.h5", engine=engine)
            assert c["z500_rank_histogram"].dims == ("lead_time", "rank") and c.sizes["rank"] == 51
            assert c["z500_reliability_count"].dims == ("threshold_z500", "lead_time", "probability_bin")
            assert c["z500_crps_by_time"].dims == ("time", "lead_time")
            assert float(c["z500_rank_histogram"].isel(lead_time=0).sum()) == 2 * 9 * 16
            print(engine, "ok")
        """
        let lines = try PythonReader.run(script, arguments: [output.path]).split(separator: "\n")   // skips without xarray
        XCTAssertEqual(lines, ["netcdf4 ok", "h5netcdf ok"])
    }

    /// earthkit-meteo 1.2.1 `efi` on the cases of tools/fixtures/efi.py.
    func testExtremeForecastIndexMatchesEarthkit() throws {
        let path = URL(fileURLWithPath: StatisticsFixtureTests.path).deletingLastPathComponent().appendingPathComponent("efi.h5").path
        let file = try HDF5File.open(path)
        for name in ["q11-m20", "q101-m51", "precip-q11-m20"] {
            let group = try file.openGroup(name)
            let members = try group.openDataset("members"), climate = try group.openDataset("climate")
            let (m, p, q) = (members.shape[0], members.shape[1], climate.shape[0])
            let x = try members.read(Float.self), c = try climate.read(Float.self)
            let expected = try group.openDataset("efi").read(Double.self)
            let eps = try group.attribute("eps", as: Double.self)[0]
            var worst = 0.0
            for point in 0..<p {
                let value = ExtremeForecastIndex.efi(members: (0..<m).map { Double(x[$0 * p + point]) },
                                                     climate: (0..<q).map { Double(c[$0 * p + point]) }, eps: eps)
                worst = max(worst, abs(value - expected[point]))
                XCTAssertEqual(value, expected[point], accuracy: 1e-12, "\(name) point \(point)")
            }
            print("agreement EFI \(name): max absolute difference \(worst)")
        }
        // Analytic: members all below the climate's minimum → F = 1 everywhere → EFI = −1; all above → +1.
        let climate = (0..<21).map { Double($0) }
        XCTAssertEqual(ExtremeForecastIndex.efi(members: [-5, -4, -3], climate: climate), -1, accuracy: 1e-12)
        XCTAssertEqual(ExtremeForecastIndex.efi(members: [25, 26, 30], climate: climate), 1, accuracy: 1e-12)
    }
}
