import Foundation
import Storage
import XCTest

/// Every kind of file Myriad writes passes the CF checker (cfchecker, tools/cf/check.py) with no errors and
/// carries the CF metadata tools read: units and standard names from ChannelMetadata, the ensemble axis as
/// `realization`, cell_methods on the ensemble statistics, integers that stay integers, flags.
final class CFComplianceTests: XCTestCase {
    static let root = ReportPython.root
    static let checker = root.appendingPathComponent("tools/cf/check.py").path

    /// The 74 HENS channels (REFERENCE.md §1) and the shallow-water channels all have units; standard names
    /// where CF has them.
    func testChannelTableKnowsEveryHENSAndShallowWaterChannel() {
        let surface = ["u10m", "v10m", "u100m", "v100m", "t2m", "sp", "msl", "tcwv", "2d"]
        let levels = ["u", "v", "z", "t", "q"].flatMap { q in ChannelMetadata.pressureLevels.map { "\(q)\($0)" } }
        XCTAssertEqual(surface.count + levels.count, 74)
        for name in surface + levels + ["height", "u", "v", "vorticity"] {
            XCTAssertNotNil(ChannelMetadata.named(name), name)
        }
        XCTAssertEqual(ChannelMetadata.named("t2m"), ChannelMetadata(name: "t2m", longName: "2 m temperature", units: "K", standardName: "air_temperature"))
        XCTAssertEqual(ChannelMetadata.named("u10m")?.standardName, "eastward_wind")
        XCTAssertEqual(ChannelMetadata.named("z500")?.units, "m2 s-2")
        XCTAssertEqual(ChannelMetadata.named("z500")?.standardName, "geopotential")
        XCTAssertEqual(ChannelMetadata.named("msl")?.standardName, "air_pressure_at_mean_sea_level")
        XCTAssertEqual(ChannelMetadata.named("tcwv")?.units, "kg m-2")
        XCTAssertEqual(ChannelMetadata.named("q850")?.longName, "specific humidity at 850 hPa")
        XCTAssertNil(ChannelMetadata.named("z501"), "not a HENS level")
        XCTAssertNil(ChannelMetadata.named("unknown"))
        XCTAssertEqual(ChannelMetadata.named("u")?.squaredUnits, "m2 s-2")
        XCTAssertEqual(ChannelMetadata.named("tcwv")?.squaredUnits, "kg2 m-4")
        XCTAssertEqual(ChannelMetadata.named("height")?.squaredUnits, "m2")
    }

    /// Runs tools/cf/check.py on `files`; fails the test on any CF error. Skips where the test environment has
    /// no CF checker (cfchecker with udunits2, compliance-checker's standard-name table) unless
    /// MYRIAD_REQUIRE_PYTHON_TESTS=1 (launch/test, which installs them).
    func check(_ files: [String], options: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let probe = try PythonReader.run("""
            import importlib.util
            try:
                import cfchecker.cfchecks
                print("ok" if importlib.util.find_spec("compliance_checker") else "no compliance-checker (its CF standard-name table)")
            except Exception as error:
                print(error)
            """, file: file, line: line).trimmingCharacters(in: .whitespacesAndNewlines)
        if probe != "ok" {
            let message = "no CF checker: \(probe); run launch/test (it installs cfchecker and udunits2)"
            if ProcessInfo.processInfo.environment["MYRIAD_REQUIRE_PYTHON_TESTS"] == "1" {
                XCTFail(message, file: file, line: line)
                return
            }
            throw XCTSkip(message)
        }
        let output = try PythonReader.run("import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
                                          arguments: [Self.checker] + options + files, file: file, line: line)
        for path in files {
            XCTAssertTrue(output.contains("\(URL(fileURLWithPath: path).lastPathComponent): 0 fatal, 0 errors"),
                          "\(path):\n\(output)", file: file, line: line)
        }
    }

    func testRunFilesPassTheCFCheckerAndCarryCFMetadata() throws {
        let scratch = try makeScratchDirectory("myriad-cf-run")
        let states = try DemoStates.path()
        let out = scratch.appendingPathComponent("out")
        let yaml = """
            checkpoints: [\(Self.root.appendingPathComponent("data/demo/demo-sfno-0.h5").path)]
            initial_conditions:
              file: \(states)
              times: ["2000-01-02T00:00:00Z"]
            lead_hours: 12
            members: 4
            perturbation:
              kind: bred-vector
              seeded_variables: [height]
              target_rmse: {height: 13.7, u: 0.457, v: 0.438, vorticity: 3.78e-7}
            output:
              directory: \(out.path)
              members: true
              derived: [ws]
            statistics:
              truth: \(states)
              thresholds: {height: [10000]}
              quantiles: [0.1, 0.9]
              spectra: true
            """
        let configuration = scratch.appendingPathComponent("run.yaml").path
        try yaml.write(toFile: configuration, atomically: true, encoding: .utf8)
        try MPIJob.succeed(ranks: 2, ["run", configuration])
        // The EFI's model climate of the run (myriad climate) is a CF file too.
        try MPIJob.succeed(ranks: 2, ["climate", out.path, "--output", out.appendingPathComponent("climate.h5").path, "--quantiles", "5"])
        let files = ["members.h5", "statistics.h5", "scores.h5", "climate.h5"].map { out.appendingPathComponent($0).path }
        try check(files)
        let output = try PythonReader.run("""
            import sys, numpy as np, xarray as xr
            m, s, c = (xr.open_dataset(f) for f in sys.argv[1:4])
            assert m.height.attrs["units"] == "m" and "standard_name" not in m.height.attrs, m.height.attrs
            assert m.u.attrs["units"] == "m s-1" and m.u.attrs["standard_name"] == "eastward_wind", m.u.attrs
            assert m.vorticity.attrs["standard_name"] == "atmosphere_upward_relative_vorticity"
            assert m.ws.attrs["standard_name"] == "wind_speed" and m.ws.attrs["units"] == "m s-1", m.ws.attrs
            assert np.isnan(m.height.encoding["_FillValue"]), "member variables keep their NaN fill value"
            assert m.ensemble.attrs["standard_name"] == "realization"
            for name in ["checkpoint", "member_valid"]:
                assert m[name].dtype == np.int32 and "_FillValue" not in m[name].encoding, (name, m[name].dtype)
            assert list(m.member_valid.attrs["flag_values"]) == [-1, 0, 1]
            assert m.member_valid.attrs["flag_meanings"] == "not_run turned_non_finite finite_throughout"
            assert (m.member_valid.values == 1).all()
            for suffix, method in [("mean", "mean"), ("std", "standard_deviation"), ("min", "minimum"), ("max", "maximum")]:
                a = s[f"u_{suffix}"].attrs
                assert a["cell_methods"] == f"realization: {method}" and a["units"] == "m s-1", (suffix, a)
            assert s.u_mean.attrs["standard_name"] == "eastward_wind" and "standard_name" not in s.u_std.attrs
            assert s.height_quantile.dims[0] == "quantile" and list(s["quantile"].values) == [0.1, 0.9]
            assert s.height_exceedance.attrs["units"] == "1" and s.u_spectrum_members.attrs["units"] == "m2 s-2"
            assert s.completed.dtype == np.int32 and s.members.dtype == np.int32
            assert c.height_rank_histogram.dtype == np.int64 and c.height_best_member.dtype == np.int32
            assert c.height_rmse.attrs["units"] == "m" and c.height_spread_skill.attrs["units"] == "1"
            print("ok")
            """, arguments: files)
        XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), "ok")
    }

    /// `myriad swe` and `myriad forward` write makani-layout files (`fields[time, channel, lat, lon]`): no
    /// CF errors; the channels' units and standard names are listed on `fields`. forward's `channel` and
    /// `valid_time` are string variables, which CF 1.8 allows and cfchecker 4.1.0 does not know
    /// (--allow-string-variables counts those messages as warnings).
    func testShallowWaterAndForwardOutputsPassTheCFChecker() throws {
        let scratch = try makeScratchDirectory("myriad-cf-makani")
        let states = try DemoStates.path()
        let forward = scratch.appendingPathComponent("forward.h5").path
        try MPIJob.succeed(ranks: 1, ["forward", "--checkpoint", Self.root.appendingPathComponent("data/demo/demo-sfno-0.h5").path,
                                      "--input", states, "--steps", "2", "--output", forward])
        try check([states])
        try check([forward], options: ["--allow-string-variables"])
        let output = try PythonReader.run("""
            import sys, netCDF4
            for path in sys.argv[1:]:
                with netCDF4.Dataset(path) as f:
                    assert f.Conventions == "CF-1.8", path
                    fields = f["fields"]
                    assert fields.channel_units == "m, m s-1, m s-1, s-1", (path, fields.channel_units)
                    assert fields.channel_standard_names == "none, eastward_wind, northward_wind, atmosphere_upward_relative_vorticity"
            print("ok")
            """, arguments: [states, forward])
        XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), "ok")
    }
}
