import Foundation
import Storage
import XCTest

/// The shipped demo checkpoints (data/demo, trained by tools/train_demo.py): `myriad forward` rolls one of
/// them out 20 steps (5 days) from a held-out state and must agree with PyTorch's rollout of the same
/// checkpoint to ≤ 1e-3 relative L2 per channel — compared in normalised units, since height carries a 10 km
/// mean that would hide any error in its 50 m signal.
final class DemoCheckpointTests: XCTestCase {
    static let demo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("data/demo")

    func testTwentyStepsAgreeWithPyTorch() throws {
        let reference = try HDF5File.open(Self.demo.appendingPathComponent("demo-sfno-0-reference.h5").path)
        let checkpointPath = Self.demo.appendingPathComponent(try reference.attribute("checkpoint")).path
        let checkpoint = try HDF5File.open(checkpointPath)
        let names = try checkpoint.openDataset("channels/state").readStrings()
        let means = try checkpoint.openDataset("normalization/means").read(Float.self)
        let stds = try checkpoint.openDataset("normalization/stds").read(Float.self)
        let (channels, nlat, nlon, steps) = (names.count, 64, 128, 20)

        let folder = try makeScratchDirectory("myriad-demo")
        let input = folder.appendingPathComponent("ic.h5").path
        do {
            let file = try HDF5File.create(input)
            try file.createDataset("fields", of: Float.self, shape: [1, channels, nlat, nlon])
                .write(try reference.openDataset("input").read(Float.self))
            let document: [String: Any] = ["h5_path": "fields", "dhours": 6, "coords": ["channel": names]]
            try JSONSerialization.data(withJSONObject: document).write(to: folder.appendingPathComponent("data.json"))
        }
        let output = folder.appendingPathComponent("forecast.h5").path
        try MPIJob.succeed(ranks: 1, ["forward", "--checkpoint", checkpointPath, "--input", input,
                                      "--steps", "\(steps)", "--output", output])
        let forecast = try HDF5File.open(output).openDataset("fields")
        let expected = try reference.openDataset("output_normalized")
        let points = nlat * nlon
        for step in [1, 4, 8, 12, 20] {
            var got = try forecast.read(Float.self, offset: [step - 1, 0, 0, 0], count: [1, channels, nlat, nlon])
            for c in 0..<channels { for p in 0..<points { got[c * points + p] = (got[c * points + p] - means[c]) / stds[c] } }
            let want = try expected.read(Float.self, offset: [step - 1, 0, 0, 0], count: [1, channels, nlat, nlon])
            let error = worstChannelError(got, want, channels: channels)
            print("demo-sfno-0 step \(step): worst channel relative L2 error (normalised) \(error)")
            XCTAssertLessThanOrEqual(error, 1e-3, "step \(step)")
        }
    }

    /// A `myriad swe` file is an initial-condition file as it is: `myriad forward` reads its state at an
    /// index, matches the channels by name through its data.json, and starts from its valid time.
    func testShallowWaterOutputStartsAForecast() throws {
        let folder = try makeScratchDirectory("myriad-demo-swe")
        let truth = folder.appendingPathComponent("truth.h5").path
        try MPIJob.succeed(ranks: 2, ["swe", "--grid", "64x128", "--initial", "random", "--seed", "3",
                                      "--trajectories", "2", "--days", "1", "--output", truth])
        let forecast = folder.appendingPathComponent("forecast.h5").path
        let checkpoint = Self.demo.appendingPathComponent("demo-sfno-1.h5").path
        try MPIJob.succeed(ranks: 1, ["forward", "--checkpoint", checkpoint, "--input", truth, "--index", "2",
                                      "--steps", "2", "--output", forecast])
        let file = try HDF5File.open(forecast)
        XCTAssertEqual(try file.openDataset("channel").readStrings(), ["height", "u", "v", "vorticity"])
        let fields = try file.openDataset("fields")
        XCTAssertEqual(fields.shape, [2, 4, 64, 128])
        let values = try fields.read(Float.self)
        XCTAssertTrue(values.allSatisfy(\.isFinite))
        // Height stays near the 10 km mean depth of the world after 12 hours.
        let height = values[(4 * 64 * 128)..<(4 * 64 * 128 + 64 * 128)]
        let mean = height.reduce(0, +) / Float(height.count)
        XCTAssertEqual(mean, 10_000, accuracy: 200)
    }
}
