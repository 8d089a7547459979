import Foundation
import XCTest

/// `output.derived` in `myriad run` on the built-in world (issue #24 point 4): the derived wind speed `ws` of
/// the world's `u`, `v` is written to members.h5 with its CF metadata, reduced into statistics.h5 and scored
/// against the truth's own `ws` in scores.h5/scores.csv like a state channel — the same at 1, 2 and 4 ranks;
/// a derived name that is unknown or lacks an input channel is refused before any work, naming what is missing.
final class DerivedVariableRunTests: XCTestCase {
    func configuration(in directory: URL, derived: String) throws -> String {
        let truth = try DemoStates.path()
        let path = directory.appendingPathComponent("derived.yaml").path
        try """
            model: shallow-water
            initial_conditions: {file: \(truth), times: ["2000-01-02T00:00:00Z", "2000-01-02T12:00:00Z"]}
            lead_hours: 12
            members: 4
            perturbation: {kind: spherical-gaussian, amplitude: 0.05, centred_pairs: true}
            seed: 3
            output: {directory: \(directory.path)/out, variables: [height, u, v], derived: \(derived)}
            statistics: {truth: \(truth), thresholds: {ws: [20]}, quantiles: [0.5], spectra: false}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testDerivedWindSpeedIsWrittenReducedAndScoredAlikeAtOneTwoAndFourRanks() throws {
        let scratch = try makeScratchDirectory("myriad-derived-run")
        let config = try configuration(in: scratch, derived: "[ws]")
        var outputs: [Int: URL] = [:]
        for ranks in [1, 2, 4] {
            let out = scratch.appendingPathComponent("out\(ranks)")
            try MPIJob.succeed(ranks: ranks, ["run", config, "--output-directory", out.path])
            outputs[ranks] = out
        }
        let members = { (ranks: Int) in try Data(contentsOf: outputs[ranks]!.appendingPathComponent("members.h5")) }
        XCTAssertEqual(try members(2), try members(1), "2 ranks: members.h5 differs from 1 rank")
        XCTAssertEqual(try members(4), try members(1), "4 ranks: members.h5 differs from 1 rank")
        let csv = { (ranks: Int) in try String(contentsOf: outputs[ranks]!.appendingPathComponent("scores.csv"), encoding: .utf8) }
        let rows = try csv(1).split(separator: "\n").filter { $0.hasPrefix("ws,") }
        for metric in ["crps", "rmse", "spread_skill", "brier", "roc_area"] {
            XCTAssertTrue(rows.contains { $0.contains(",\(metric)") }, "scores.csv has no ws \(metric) row:\n\(rows.prefix(5))")
        }
        for ranks in [2, 4] {
            let (a, b) = (try csv(1).split(separator: "\n"), try csv(ranks).split(separator: "\n"))
            XCTAssertEqual(a.count, b.count)
            for (x, y) in zip(a, b) where x != y {
                let (u, v) = (x.split(separator: ","), y.split(separator: ","))
                XCTAssertEqual(u.prefix(3), v.prefix(3))
                if let p = Double(u.last ?? ""), let q = Double(v.last ?? "") {
                    XCTAssertLessThanOrEqual(abs(p - q), 1e-12 * max(abs(p), abs(q)), "\(ranks) ranks: \(x) vs \(y)")
                }
            }
        }
        // The written ws is √(u² + v²) of the member's own u, v; the statistics and the scores reduce it
        // like a channel; the truth's ws is derived from the truth's u, v.
        let output = try PythonReader.run("""
            import sys, numpy as np, xarray as xr, h5py
            out1, out2, out4, truth = sys.argv[1:5]
            m = xr.open_dataset(out1 + "/members.h5")
            assert m.ws.attrs["standard_name"] == "wind_speed" and m.ws.attrs["units"] == "m s-1", m.ws.attrs
            assert list(m.data_vars)[:4] == ["height", "u", "v", "ws"], list(m.data_vars)
            u, v = m.u.values.astype(np.float64), m.v.values.astype(np.float64)
            assert np.array_equal(m.ws.values, np.sqrt(u * u + v * v).astype(np.float32)), "ws is not sqrt(u² + v²)"
            s = xr.open_dataset(out1 + "/statistics.h5")
            assert np.allclose(s.ws_mean.values, m.ws.values.astype(np.float64).mean(axis=0), rtol=1e-6, atol=1e-5)
            assert s.ws_mean.attrs["units"] == "m s-1", s.ws_mean.attrs
            for other in (out2, out4):
                t = xr.open_dataset(other + "/statistics.h5")
                for name in ["ws_mean", "ws_std", "ws_quantile", "ws_exceedance"]:
                    assert np.array_equal(s[name].values, t[name].values, equal_nan=True), (other, name)
            c = xr.open_dataset(out1 + "/scores.h5")
            assert np.all(np.isfinite(c.ws_crps.values)) and np.all(c.ws_rmse.values > 0), c.ws_rmse.values
            # The truth's ws is √(u² + v²) of the truth's own u, v: the rank histogram (plain counts) of each
            # time and lead equals the ranks of that field among the members. Truth index 4 is 2000-01-02T00.
            fields = h5py.File(truth)["fields"]
            for t in range(2):
                for lead in range(3):
                    x = fields[4 + 2 * t + lead].astype(np.float64)
                    y = np.sqrt(x[1] ** 2 + x[2] ** 2).astype(np.float32)
                    ranks = (m.ws.values[:, t, lead] < y).sum(axis=0)
                    counts = np.bincount(ranks.ravel(), minlength=5)
                    assert np.array_equal(counts, c.ws_rank_histogram_by_time.values[t, lead]), (t, lead, counts)
            print("ok")
            """, arguments: [outputs[1]!.path, outputs[2]!.path, outputs[4]!.path, try DemoStates.path()])
        XCTAssertTrue(output.hasPrefix("ok"), output)
    }

    func testUnknownDerivedNamesAndMissingInputsAreRefusedBeforeAnyWork() throws {
        let scratch = try makeScratchDirectory("myriad-derived-bad")
        let config = try configuration(in: scratch, derived: "[ws, ws10m, wind_chill, ivt]")
        let result = try MPIJob.run(ranks: 2, ["run", config])
        XCTAssertEqual(result.status, 1, result.stderr)
        for expected in ["output.derived: 'ws10m' needs channel(s) u10m, v10m; the model has no u10m, v10m",
                         "output.derived: 'wind_chill' is not a derived variable Myriad knows",
                         "output.derived: 'ivt' needs q, u and v on at least two pressure levels"] {
            XCTAssertTrue(result.stderr.contains(expected), "missing '\(expected)' in:\n\(result.stderr)")
        }
        XCTAssertFalse(result.stderr.contains("'ws' "), "ws has its inputs u, v:\n\(result.stderr)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(scratch.path)/out"))
    }
}
