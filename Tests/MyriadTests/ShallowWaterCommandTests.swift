import ComplexModule
import Foundation
import ShallowWater
import Storage
import XCTest

/// `myriad swe` end to end under mpirun: the same file bit for bit at 1, 2 and 4 ranks, its contents equal to
/// the solver run in-process, the makani metadata, and clear errors.
final class ShallowWaterCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try makeScratchDirectory("myriad-swe") }

    private let arguments = ["swe", "--grid", "32x64", "--initial", "random", "--seed", "11", "--days", "1",
                             "--output-every", "6", "--trajectories", "3"]

    func testRankIndependenceAndContents() throws {
        var files: [[Float]] = []
        var metadata: [String] = []
        for ranks in [1, 2, 4] {
            let sub = directory.appendingPathComponent("np\(ranks)")
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            let path = sub.appendingPathComponent("truth.h5").path
            try MPIJob.succeed(ranks: ranks, arguments + ["--output", path])
            let file = try HDF5File.open(path)
            let fields = try file.openDataset("fields")
            XCTAssertEqual(fields.shape, [3 * 5, 4, 32, 64], "np \(ranks): 3 trajectories × 5 times × 4 channels")
            XCTAssertEqual(fields.elementTypeName, "float32")
            files.append(try fields.read(Float.self))
            metadata.append(try String(contentsOfFile: sub.appendingPathComponent("data.json").path, encoding: .utf8))
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: sub.path).sorted(), ["data.json", "truth.h5"],
                           "np \(ranks): no temporary file left behind")
        }
        // 3 trajectories on 4 ranks leaves one rank idle; on 2 ranks one rank runs two.
        XCTAssertEqual(files[0], files[1], "1 and 2 ranks write the same file")
        XCTAssertEqual(files[0], files[2], "1 and 4 ranks write the same file")
        XCTAssertEqual(metadata[0], metadata[1])

        // The file holds what the solver computes in-process: trajectory k is stream k of seed 11.
        let solver = try ShallowWaterSolver(nlat: 32, nlon: 64, dt: ShallowWaterSolver.defaultTimeStep(nlat: 32),
                                            lmax: 11, mmax: 11)
        let block = 4 * 32 * 64
        for trajectory in [0, 2] {
            var state = solver.randomInitialCondition(seed: 11, stream: UInt64(trajectory))
            XCTAssertEqual(Array(files[0][(trajectory * 5 * block)..<((trajectory * 5 + 1) * block)]), solver.channels(state),
                           "trajectory \(trajectory) at 0 h")
            state = solver.timestep(state, steps: 6 * 3600 / Int(solver.dt))
            XCTAssertEqual(Array(files[0][((trajectory * 5 + 1) * block)..<((trajectory * 5 + 2) * block)]), solver.channels(state),
                           "trajectory \(trajectory) at 6 h")
        }
        XCTAssertNotEqual(Array(files[0][0..<block]), Array(files[0][(5 * block)..<(6 * block)]),
                          "trajectories differ")
        // Height channel: mean depth near havg = 10 km.
        let height = files[0][0..<(32 * 64)]
        XCTAssertEqual(Double(height.reduce(0, +)) / Double(height.count), 10_000, accuracy: 50)

        // makani's data.json keys.
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(metadata[0].utf8)) as? [String: Any])
        XCTAssertEqual(json["h5_path"] as? String, "fields")
        XCTAssertEqual(json["dims"] as? [String], ["time", "channel", "lat", "lon"])
        XCTAssertEqual(json["dhours"] as? Int, 6)
        XCTAssertEqual(json["trajectories"] as? Int, 3)
        XCTAssertEqual(json["times_per_trajectory"] as? Int, 5)
        let coords = try XCTUnwrap(json["coords"] as? [String: Any])
        XCTAssertEqual(coords["channel"] as? [String], ["height", "u", "v", "vorticity"])
        let lat = try XCTUnwrap(coords["lat"] as? [Double])
        XCTAssertEqual(lat.count, 32)
        XCTAssertEqual(lat.first ?? 0, 90, accuracy: 1e-12)
        XCTAssertEqual(lat.last ?? 0, -90, accuracy: 1e-12)
        XCTAssertEqual((coords["lon"] as? [Double])?.count, 64)
    }

    func testBadOptionsGetAClearErrorAndNoFile() throws {
        let output = directory.appendingPathComponent("never.h5").path
        let cases: [([String], String)] = [
            (["--grid", "32by64"], "--grid must be NLATxNLON"),
            (["--initial", "galewsky", "--trajectories", "2"], "--initial galewsky has one trajectory"),
            (["--initial", "vortex"], "The value 'vortex' is invalid for '--initial <initial>'. Please provide one of 'galewsky' and 'random'."),
            (["--latitudes", "gaussian"], "Please provide one of 'equiangular' and 'legendre-gauss'."),
            (["--days", "1", "--output-every", "7"], "--output-every 7 h must be positive and divide the 24 h"),
            (["--dt", "700"], "--dt 700.0 s must be positive and divide --output-every 6 h"),
            (["--lmax", "40", "--grid", "32x64"], "choose --lmax between 2 and 32"),
            (["--start-time", "yesterday"], "--start-time 'yesterday' is not an ISO 8601 time"),
            (["--start-time", "2000-01-01"], "--start-time '2000-01-01' is not an ISO 8601 time"),
        ]
        for (options, message) in cases {
            let result = try MPIJob.run(ranks: 2, ["swe", "--days", "1", "--output", output] + options)
            XCTAssertNotEqual(result.status, 0, options.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(message), "expected '\(message)' in: \(result.stderr)")
            XCTAssertEqual(result.stderr.components(separatedBy: message).count - 1, 1, "reported once: \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: output))
        }
        // A directory that cannot be made (a file in the way): a message on every rank, no hang.
        let blocker = directory.appendingPathComponent("a-file")
        try Data().write(to: blocker)
        let impossible = blocker.appendingPathComponent("dir/truth.h5").path
        let result = try MPIJob.run(ranks: 2, ["swe", "--grid", "32x64", "--days", "1", "--output", impossible])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("cannot be created or is not writable"), result.stderr)
    }

    /// The output's directory is made when missing (as the demo's out/demo/world/ on a fresh checkout).
    func testMissingOutputDirectoryIsCreated() throws {
        let nested = directory.appendingPathComponent("new/nested/truth.h5").path
        try MPIJob.succeed(ranks: 2, ["swe", "--grid", "32x64", "--days", "1", "--output", nested])
        XCTAssertTrue(FileManager.default.fileExists(atPath: nested))
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("new/nested/data.json").path))
    }
}
