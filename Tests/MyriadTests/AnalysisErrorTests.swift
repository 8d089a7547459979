import Foundation
import XCTest

/// `initial_conditions.analysis_error` (issue #22): the ensemble starts from analysis = truth + a correlated
/// error whose area-weighted RMS is the configured one, the same for every member, and the scores verify
/// against the truth, so lead 0 has an error of that size.
final class AnalysisErrorTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func testAnalysesHaveTheConfiguredErrorAndScoresVerifyAgainstTheTruth() throws {
        let scratch = try makeScratchDirectory("myriad-analysis")
        let states = try DemoStates.path()
        let config = scratch.appendingPathComponent("run.yaml").path
        try """
            checkpoints: [\(Self.root.appendingPathComponent("data/demo/demo-sfno-0.h5").path), \(Self.root.appendingPathComponent("data/demo/demo-sfno-1.h5").path)]
            initial_conditions:
              file: \(states)
              times: ["2000-01-02T00:00:00Z", "2000-01-02T06:00:00Z"]
              analysis_error: {rmse: {height: 5.9, v: 0.19}, length_scale_km: 800}
            lead_hours: 6
            members: 1
            seed: 11
            output: {members: true}
            statistics: {truth: \(states), spectra: false}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let out = scratch.appendingPathComponent("out")
        let result = try MPIJob.run(ranks: 2, ["run", config, "--output-directory", out.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue((result.stdout + result.stderr).contains("analysis     truth + correlated error (800 km), RMS height 5.9, v 0.19"),
                      result.stdout + result.stderr)
        let check = try PythonReader.run("""
            import sys, numpy as np, xarray as xr, h5py
            m = xr.open_dataset(sys.argv[1] + "/members.h5"); c = xr.open_dataset(sys.argv[1] + "/scores.h5")
            truth = h5py.File(sys.argv[2], "r")["fields"]       # height u v vorticity, every 6 h from 2000-01-01
            w = np.cos(np.deg2rad(m.lat.values))[:, None] * np.ones(m.lon.size)[None, :]
            w = w / w.sum()
            for t, index in [(0, 4), (1, 5)]:
                for name, channel, rms in [("height", 0, 5.9), ("u", 1, 0.0), ("v", 2, 0.19)]:
                    a0, a1 = m[name].values[0, t, 0], m[name].values[1, t, 0]
                    assert np.array_equal(a0, a1), "members of one time (here: of two checkpoints) start from one analysis"
                    e = a0.astype(np.float64) - truth[index, channel]
                    got = np.sqrt((w * e * e).sum())
                    # cos-latitude weights here, quadrature weights in Myriad: the same to ~1e-3 on 64 rows
                    assert abs(got - rms) <= 2e-3 * max(rms, 1e-9) + 1e-6, (name, t, got, rms)
            e0 = m.height.values[0, 0, 0].astype(np.float64) - truth[4, 0]
            e1 = m.height.values[0, 1, 0].astype(np.float64) - truth[5, 0]
            assert abs(np.corrcoef(e0.ravel(), e1.ravel())[0, 1]) < 0.2, "each valid time draws its own error"
            rmse = c.height_rmse.values[0]                    # lead 0: the ensemble mean is the analysis
            assert abs(rmse - 5.9) < 0.05 * 5.9, rmse
            print("ok")
            """, arguments: [out.path, states])
        XCTAssertEqual(check.trimmingCharacters(in: .whitespacesAndNewlines), "ok")

        // A channel that the model does not have is a configuration problem.
        let text = try String(contentsOfFile: config, encoding: .utf8)
        try text.replacingOccurrences(of: "v: 0.19", with: "z500: 3").write(toFile: config, atomically: true, encoding: .utf8)
        let bad = try MPIJob.run(ranks: 1, ["run", config, "--output-directory", scratch.appendingPathComponent("bad").path])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("initial_conditions.analysis_error.rmse: 'z500' is not a channel of the model"), bad.stderr)
    }
}
