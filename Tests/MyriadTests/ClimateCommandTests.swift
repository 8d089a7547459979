import Ensemble
import Foundation
import Storage
import XCTest

/// `myriad climate` and `statistics.efi` end to end on the built-in world (issue #24 point 3): the climate
/// built from a run's own members is the same file at 1 and 2 ranks; a run whose EFI uses it, and whose
/// members are the climate's own sample, has an EFI near 0 (within the 2/M of a finite sample); a forecast
/// shifted beyond the climate has EFI −1 or +1 exactly; a climate of other leads, variables or grid is
/// refused before the first step, naming the file and the fix.
final class ClimateCommandTests: XCTestCase {
    static let members = 16

    /// The built-in world's physics, 16 members of one initial time, leads 0, 6, 12 h, statistics only.
    func configuration(_ directory: URL, name: String, leadHours: Int = 12, variables: String = "[height, u]",
                       times: String = "[\"2000-01-02T00:00:00Z\"]", efi: String? = nil) throws -> String {
        let path = directory.appendingPathComponent("\(name).yaml").path
        try """
            model: shallow-water
            initial_conditions: {file: \(try DemoStates.path()), times: \(times)}
            lead_hours: \(leadHours)
            members: \(Self.members)
            perturbation: {kind: spherical-gaussian, amplitude: 0.05, centred_pairs: true}
            seed: 11
            output: {directory: \(directory.path)/\(name), variables: \(variables)}
            statistics: {spectra: false\(efi.map { ", efi: {climate: \($0)}" } ?? "")}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func read(_ path: String, _ dataset: String) throws -> [Float] {
        try HDF5File.open(path).openDataset(dataset).read(Float.self)
    }

    /// Adds `offset` to every quantile of `name` in the climate file at `path` (a forecast shifted by −offset).
    func shift(_ path: String, _ name: String, by offset: Float) throws {
        let file = try HDF5File.open(path, access: .readWrite)
        let dataset = try file.openDataset(name)
        try dataset.write(try dataset.read(Float.self).map { $0 + offset })
    }

    func testAClimateBuiltFromTheRunsOwnMembersGivesEFINearZeroAndShiftsGiveItsLimits() throws {
        let scratch = try makeScratchDirectory("myriad-climate")
        try MPIJob.succeed(ranks: 2, ["run", try configuration(scratch, name: "reforecasts")])
        let climate = scratch.appendingPathComponent("climate.h5").path
        let climate2 = scratch.appendingPathComponent("climate-2ranks.h5").path
        try MPIJob.succeed(ranks: 1, ["climate", "\(scratch.path)/reforecasts", "--output", climate, "--quantiles", "21"])
        try MPIJob.succeed(ranks: 2, ["climate", "\(scratch.path)/reforecasts/members.h5", "--output", climate2, "--quantiles", "21"])
        for name in ["height", "u", "lead_time", "quantile", "lat", "lon"] {
            XCTAssertEqual(try read(climate, name), try read(climate2, name), "\(name): 2 ranks differ from 1")
        }
        // Against numpy: the quantiles of the pooled members (every member of every initial time of every
        // run; with a ±6 h window, the neighbouring leads too), method "linear". The windowed climate pools
        // a second run of two other initial times as well.
        try MPIJob.succeed(ranks: 2, ["run", try configuration(scratch, name: "more", times: "[\"2000-01-02T06:00:00Z\", \"2000-01-02T18:00:00Z\"]")])
        let windowed = scratch.appendingPathComponent("climate-window.h5").path
        try MPIJob.succeed(ranks: 2, ["climate", "\(scratch.path)/reforecasts", "\(scratch.path)/more", "--output", windowed,
                                     "--quantiles", "21", "--lead-window-hours", "6"])
        let numpy = try PythonReader.run("""
            import sys, numpy as np, h5py
            members, plain, windowed, more = (h5py.File(p) for p in sys.argv[1:5])
            levels = np.arange(21) / 20                            # p_j = j/(Q − 1), as Myriad computes them
            worst = 0
            for name in ["height", "u"]:
                x = members[name][...].astype(np.float64)            # [ensemble, time, lead, lat, lon]
                y = more[name][...].astype(np.float64)
                assert np.all(members["member_valid"][...] == 1) and np.all(more["member_valid"][...] == 1)
                assert y.shape[1] == 2
                for lead in range(3):
                    window = [k for k in range(3) if abs(k - lead) <= 1]
                    for climate, pool in ((plain, x[:, :, [lead]].reshape(-1, *x.shape[3:])),
                                          (windowed, np.concatenate([x[:, :, window].reshape(-1, *x.shape[3:]),
                                                                     y[:, :, window].reshape(-1, *y.shape[3:])]))):
                        expected = np.quantile(pool, levels, axis=0, method="linear").astype(np.float32)
                        got = climate[name][lead]
                        worst = max(worst, float(np.max(np.abs(got - expected) / np.maximum(np.abs(expected), 1e-30))))
                        assert np.array_equal(got, expected), (name, lead, window)
            assert np.array_equal(plain["quantile"][...], levels)
            print("ok", worst)
            """, arguments: ["\(scratch.path)/reforecasts/members.h5", climate, windowed, "\(scratch.path)/more/members.h5"])
        XCTAssertTrue(numpy.hasPrefix("ok"), numpy)
        print("agreement climate vs numpy quantile: max relative difference \(numpy.dropFirst(3).trimmingCharacters(in: .whitespacesAndNewlines))")
        let quantiles = try read(climate, "height")
        XCTAssertEqual(try HDF5File.open(climate).openDataset("height").shape, [3, 21, 64, 128])
        XCTAssertFalse(quantiles.contains { $0.isNaN })

        // The forecast is the climate's own sample: the EFI is near 0 everywhere. (M members against their own
        // quantiles: F(p) − p lies in [0, 1/M] up to interpolation, so −2/M ≤ EFI ≤ 2/M.)
        for ranks in [1, 2] {
            try MPIJob.succeed(ranks: ranks, ["run", try configuration(scratch, name: "same\(ranks)", efi: climate)])
        }
        let efi = try read("\(scratch.path)/same1/statistics.h5", "height_efi")
        XCTAssertEqual(efi, try read("\(scratch.path)/same2/statistics.h5", "height_efi"), "EFI at 2 ranks differs from 1 rank")
        XCTAssertEqual(efi.count, 3 * 64 * 128)
        let bound = 2 / Float(Self.members)
        let worst = efi.map { abs($0) }.max() ?? .nan
        XCTAssertLessThanOrEqual(worst, bound, "EFI of the climate's own sample")
        let mean = efi.reduce(0, +) / Float(efi.count)
        print("EFI of the climate's own sample: max |EFI| \(worst), mean \(mean) (M = \(Self.members))")
        XCTAssertFalse(try read("\(scratch.path)/same1/statistics.h5", "u_efi").contains { $0.isNaN })

        // Shifted: the whole ensemble above the climate's last quantile → +1; below its first → −1.
        for (offset, expected) in [(Float(-1e4), Float(1)), (Float(1e4), Float(-1))] {
            let shifted = scratch.appendingPathComponent("shifted\(Int(offset)).h5").path
            try FileManager.default.copyItem(atPath: climate, toPath: shifted)
            try shift(shifted, "height", by: offset)
            let name = "shifted\(Int(offset))"
            try MPIJob.succeed(ranks: 2, ["run", try configuration(scratch, name: name, efi: shifted)])
            let values = try read("\(scratch.path)/\(name)/statistics.h5", "height_efi")
            XCTAssertTrue(values.allSatisfy { abs($0 - expected) < 1e-6 }, "EFI of a shifted forecast is \(expected): \(values.prefix(4))")
        }
    }

    /// A stopped run resumes with the climate it started with, or not at all: a climate whose contents
    /// changed is refused by name; the resumed EFI equals the uninterrupted run's.
    func testAResumeRefusesAChangedClimateAndOtherwiseGivesTheUninterruptedEFI() throws {
        let scratch = try makeScratchDirectory("myriad-climate-resume")
        try MPIJob.succeed(ranks: 1, ["run", try configuration(scratch, name: "reforecasts")])
        let climate = scratch.appendingPathComponent("climate.h5").path
        try MPIJob.succeed(ranks: 1, ["climate", "\(scratch.path)/reforecasts", "--output", climate, "--quantiles", "11"])
        let config = try configuration(scratch, name: "forecast", efi: climate)
        try MPIJob.succeed(ranks: 1, ["run", config, "--output-directory", "\(scratch.path)/reference"])
        let stopped = try MPIJob.run(ranks: 2, ["run", config], environment: ["MYRIAD_STOP_AFTER_STEP": "1"])
        XCTAssertEqual(stopped.status, 85, stopped.stderr)
        let original = try Data(contentsOf: URL(fileURLWithPath: climate))
        try shift(climate, "height", by: 1)
        let refused = try MPIJob.run(ranks: 2, ["run", config, "--resume"])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("EFI climate \(climate): contents changed"), refused.stderr)
        try original.write(to: URL(fileURLWithPath: climate))
        try MPIJob.succeed(ranks: 1, ["run", config, "--resume"])
        XCTAssertEqual(try read("\(scratch.path)/forecast/statistics.h5", "height_efi"),
                       try read("\(scratch.path)/reference/statistics.h5", "height_efi"))
    }

    func testEFIConfigurationProblemsAreNamed() {
        let base = "model: shallow-water\nmembers: 1\ninitial_conditions: {file: x.h5, times: [\"2000-01-02T00:00:00Z\"]}\n"
        for (statistics, expected) in [("{efi: {eps: 0.1}}", "statistics.efi.climate"),
                                       ("{enabled: false, efi: {climate: c.h5}}", "statistics.efi: the EFI is a statistic, which is off"),
                                       ("{efi: {climate: c.h5, epsilon: 1}}", "statistics.efi.epsilon"),
                                       ("{efi: {climate: c.h5, eps: high}}", "statistics.efi.eps")] {
            XCTAssertThrowsError(try RunConfiguration(yaml: base + "statistics: \(statistics)\n", file: "t.yaml"), statistics) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(statistics): \(error)")
            }
        }
        XCTAssertEqual(try RunConfiguration(yaml: base + "statistics: {efi: {climate: c.h5, eps: 0.5}}\n", file: "t.yaml").statistics.efi?.eps, 0.5)
    }

    func testAClimateOfOtherLeadsVariablesOrGridIsRefusedNamingTheFileAndTheFix() throws {
        let scratch = try makeScratchDirectory("myriad-climate-mismatch")
        try MPIJob.succeed(ranks: 1, ["run", try configuration(scratch, name: "reforecasts")])
        let climate = scratch.appendingPathComponent("climate.h5").path
        try MPIJob.succeed(ranks: 1, ["climate", "\(scratch.path)/reforecasts", "--output", climate, "--quantiles", "11"])
        let refused = try MPIJob.run(ranks: 1, ["climate", "\(scratch.path)/reforecasts", "--output", climate])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("\(climate) exists; give --overwrite"), refused.stderr)

        func expectRefusal(_ config: String, _ expected: [String], file: StaticString = #filePath, line: UInt = #line) throws {
            let result = try MPIJob.run(ranks: 2, ["run", config])
            XCTAssertEqual(result.status, 1, result.stderr, file: file, line: line)
            for text in [climate] + expected {
                XCTAssertTrue(result.stderr.contains(text), "missing '\(text)' in:\n\(result.stderr)", file: file, line: line)
            }
            XCTAssertEqual(result.stderr.components(separatedBy: "myriad: error:").count, 2, "one report:\n\(result.stderr)", file: file, line: line)
        }
        try expectRefusal(try configuration(scratch, name: "leads", leadHours: 18, efi: climate),
                          ["lead times are [0, 6, 12] h, the run's output leads [0, 6, 12, 18] h", "output.lead_hours"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(scratch.path)/leads"), "refused before any work")
        try expectRefusal(try configuration(scratch, name: "variables", variables: "[vorticity]", efi: climate),
                          ["holds the climate of height, u but of none of the variables vorticity", "myriad climate"])
        // Another grid: the climate's latitudes halved.
        do {
            let file = try HDF5File.open(climate, access: .readWrite)
            let lat = try file.openDataset("lat")
            try lat.write(try lat.read(Double.self).map { $0 / 2 })
        }
        try expectRefusal(try configuration(scratch, name: "grid", efi: climate),
                          ["the climate is on a 64 × 128 grid (lat 45.0 … -45.0), the run on 64 × 128 (lat 90.0 … -90.0)", "runs on the run's grid"])
        // An output folder that does not exist.
        let nowhere = try MPIJob.run(ranks: 2, ["climate", "\(scratch.path)/reforecasts", "--output", "\(scratch.path)/no/c.h5"])
        XCTAssertEqual(nowhere.status, 1)
        XCTAssertTrue(nowhere.stderr.contains("\(scratch.path)/no/c.h5: cannot be written: the folder \(scratch.path)/no does not exist"), nowhere.stderr)
        XCTAssertEqual(nowhere.stderr.components(separatedBy: "myriad: error:").count, 2, "one report:\n\(nowhere.stderr)")
        // A file that is not a members file.
        let bad = try MPIJob.run(ranks: 1, ["climate", climate, "--output", "\(scratch.path)/x.h5"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("\(climate): has no 'member_valid': not a members file"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(scratch.path)/x.h5"))
    }
}
