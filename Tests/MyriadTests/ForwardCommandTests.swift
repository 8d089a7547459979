import Foundation
import Storage
import XCTest

/// `myriad forward` under mpirun on the SFNO fixtures: the forecast file against the reference outputs,
/// channels matched by name through data.json, and bad inputs refused with no output left behind.
final class ForwardCommandTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = try makeScratchDirectory("myriad-forward") }

    /// Writes `fields[times, channels, lat, lon]` into `name` in its own directory, with a data.json when
    /// `names` is given. Returns the file's path.
    func writeInput(_ name: String, fields: [Float], shape: [Int], names: [String]?,
                    latitudes: [Double]? = nil) throws -> String {
        let directory = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("ic.h5").path
        let file = try HDF5File.create(path)
        try file.createDataset("fields", of: Float.self, shape: shape).write(fields)
        if let names {
            var coords: [String: Any] = ["channel": names]
            if let latitudes { coords["lat"] = latitudes }
            let document: [String: Any] = ["h5_path": "fields", "dhours": 6, "coords": coords]
            try JSONSerialization.data(withJSONObject: document).write(to: directory.appendingPathComponent("data.json"))
        }
        return path
    }

    /// The HENS-like fixture through the command: the initial state stored with its channels reversed
    /// and a channel the network does not use added, matched back by name through data.json.
    func testMakaniForecastMatchesReference() throws {
        let reference = try SFNOFixtureTests.Reference("makani-hens-33x64")
        let checkpoint = try HDF5File.open(reference.checkpoint)
        let names = try checkpoint.openDataset("channels/state").readStrings()
        let input = try reference.floats("input")
        let points = 33 * 64
        let channels = names.count
        // Stored order: extra, then the state channels reversed.
        var stored = [Float](repeating: 7, count: points)
        for c in (0..<channels).reversed() { stored += input[(c * points)..<((c + 1) * points)] }
        let path = try writeInput("hens", fields: stored, shape: [1, channels + 1, 33, 64],
                                  names: ["unused"] + names.reversed())
        let output = folder.appendingPathComponent("forecast.h5").path
        try MPIJob.succeed(ranks: 2, ["forward", "--checkpoint", reference.checkpoint, "--input", path,
                                      "--time", "2023-06-01T00:00:00Z", "--steps", "3", "--output", output])
        let file = try HDF5File.open(output)
        let fields = try file.openDataset("fields")
        XCTAssertEqual(fields.shape, [3, channels, 33, 64])
        XCTAssertEqual(try file.openDataset("channel").readStrings(), names)
        XCTAssertEqual(try file.openDataset("valid_time").readStrings(),
                       ["2023-06-01T06:00:00Z", "2023-06-01T12:00:00Z", "2023-06-01T18:00:00Z"])
        for step in 1...3 {
            let got = try fields.read(Float.self, offset: [step - 1, 0, 0, 0], count: [1, channels, 33, 64])
            let error = worstChannelError(got, try reference.floats("output", index: step - 1), channels: channels)
            print("myriad forward makani-hens-33x64 step \(step): worst channel relative L2 error \(error)")
            XCTAssertLessThanOrEqual(error, SFNOFixtureTests.bound(step: step))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["forecast.h5", "hens"])

        // Another process, another rank count: the same forecast bit for bit (members must be reproducible
        // in any layout and on any rerun; FFT plans that depend on timing would break this).
        let again = folder.appendingPathComponent("again.h5").path
        try MPIJob.succeed(ranks: 1, ["forward", "--checkpoint", reference.checkpoint, "--input", path,
                                      "--time", "2023-06-01T00:00:00Z", "--steps", "3", "--output", again])
        let first = try fields.read(Float.self).map(\.bitPattern)
        let second = try HDF5File.open(again).openDataset("fields").read(Float.self).map(\.bitPattern)
        XCTAssertTrue(first == second, "a rerun of myriad forward differs from the first run")
    }

    /// Acceptance (issue 5): `myriad forward --layout` on 2 and 4 ranks writes the serial forecast (≤ 1e-5
    /// relative L2 over the whole file; same channels, valid times and attributes), for the HENS-like network
    /// over three steps and the torch-harmonics projection network.
    func testModelParallelLayoutsMatchSerial() throws {
        let hens = try SFNOFixtureTests.Reference("makani-hens-33x64")
        let names = try HDF5File.open(hens.checkpoint).openDataset("channels/state").readStrings()
        let hensInput = try writeInput("hens", fields: try hens.floats("input"), shape: [1, names.count, 33, 64], names: names)
        let projection = try SFNOFixtureTests.Reference("th-sfno-proj-eq33x64")
        let projectionInput = try writeInput("proj", fields: try projection.floats("input"), shape: [1, 7, 33, 64], names: nil)
        let cases: [(String, String, [String])] = [
            ("hens", hens.checkpoint, ["--input", hensInput, "--time", "2023-06-01T00:00:00Z", "--steps", "3"]),
            ("proj", projection.checkpoint, ["--input", projectionInput]),
        ]
        for (name, checkpoint, options) in cases {
            let serialPath = folder.appendingPathComponent("\(name)-serial.h5").path
            try MPIJob.succeed(ranks: 1, ["forward", "--checkpoint", checkpoint, "--output", serialPath] + options)
            let serialFile = try HDF5File.open(serialPath)
            let serial = try serialFile.openDataset("fields").read(Float.self)
            for (ranks, layout) in [(2, "h=2,w=1,channel=1"), (2, "h=1,w=2,channel=1"), (4, "h=2,w=2,channel=1"), (4, "h=4,w=1,channel=1"),
                                  (2, "h=1,w=1,channel=2"), (4, "h=2,w=1,channel=2")] {
                let path = folder.appendingPathComponent("\(name)-\(layout).h5").path
                try MPIJob.succeed(ranks: ranks, ["forward", "--checkpoint", checkpoint, "--output", path, "--layout", layout] + options)
                let file = try HDF5File.open(path)
                let fields = try file.openDataset("fields")
                XCTAssertEqual(fields.shape, try serialFile.openDataset("fields").shape, "\(name) \(layout)")
                let values = try fields.read(Float.self)
                var difference = 0.0, norm = 0.0
                for (x, y) in zip(values, serial) {
                    difference += (Double(x) - Double(y)) * (Double(x) - Double(y))
                    norm += Double(y) * Double(y)
                }
                let error = (difference / norm).squareRoot()
                print("myriad forward \(name) --layout \(layout) on \(ranks) ranks: relative L2 error against the serial run \(error)")
                XCTAssertLessThanOrEqual(error, 1e-5, "\(name) \(layout)")
                XCTAssertEqual(try file.openDataset("channel").readStrings(), try serialFile.openDataset("channel").readStrings())
                XCTAssertEqual(try file.openDataset("valid_time").readStrings(), try serialFile.openDataset("valid_time").readStrings())
                let initial: String = try file.attribute("initial_time")
                XCTAssertEqual(initial, try serialFile.attribute("initial_time") as String)
            }
        }
    }

    /// `--precision bf16`: bfloat16 GEMMs change the forecast by about 1 % (SFNOPrecisionTests' bound, not
    /// float32's 1e-5); an h = 2 split into whole tiles gives the serial bf16 forecast bit for bit, as in fp32
    /// (the GEMM calls are the same tiles); a precision the command does not know is refused by name.
    func testPrecisionBF16() throws {
        let hens = try SFNOFixtureTests.Reference("makani-hens-33x64")
        let names = try HDF5File.open(hens.checkpoint).openDataset("channels/state").readStrings()
        let input = try writeInput("hens", fields: try hens.floats("input"), shape: [1, names.count, 33, 64], names: names)
        let options = ["--checkpoint", hens.checkpoint, "--input", input, "--time", "2023-06-01T00:00:00Z", "--steps", "2"]
        func run(_ name: String, ranks: Int, _ extra: [String]) throws -> [Float] {
            let path = folder.appendingPathComponent("\(name).h5").path
            try MPIJob.succeed(ranks: ranks, ["forward", "--output", path] + options + extra)
            return try HDF5File.open(path).openDataset("fields").read(Float.self)
        }
        let fp32 = try run("fp32", ranks: 1, [])
        let bf16 = try run("bf16", ranks: 1, ["--precision", "bf16"])
        let split = try run("bf16-h2", ranks: 2, ["--precision", "bf16", "--layout", "h=2,w=1,channel=1"])
        let error = worstChannelError(bf16, fp32, channels: 2 * names.count)
        let layoutError = worstChannelError(split, bf16, channels: 2 * names.count)
        print("myriad forward --precision bf16: against fp32 \(error), h=2 against serial \(layoutError)")
        XCTAssertLessThanOrEqual(error, SFNOPrecisionTests.bound(step: 2))
        XCTAssertGreaterThan(error, 1e-4, "--precision bf16 gives the fp32 forecast")
        XCTAssertTrue(split == bf16, "h=2 in bf16 differs from the serial bf16 forecast (worst channel \(layoutError))")
        let refused = try MPIJob.run(ranks: 1, ["forward", "--output", folder.appendingPathComponent("x.h5").path,
                                                "--precision", "fp16"] + options)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("fp16"), refused.stderr)
    }

    /// A torch-harmonics network with 7 inputs and 5 outputs, channels by position (no data.json).
    func testTorchHarmonicsProjectionByPosition() throws {
        let reference = try SFNOFixtureTests.Reference("th-sfno-proj-eq33x64")
        let path = try writeInput("proj", fields: try reference.floats("input"), shape: [1, 7, 33, 64], names: nil)
        let output = folder.appendingPathComponent("proj.h5").path
        try MPIJob.succeed(ranks: 1, ["forward", "--checkpoint", reference.checkpoint, "--input", path, "--output", output])
        let got = try HDF5File.open(output).openDataset("fields").read(Float.self)
        let error = worstChannelError(got, try reference.floats("output"), channels: 5)
        print("myriad forward th-sfno-proj-eq33x64 step 1: worst channel relative L2 error \(error)")
        XCTAssertLessThanOrEqual(error, 1e-4)
    }

    func testBadInputsAreRefused() throws {
        let reference = try SFNOFixtureTests.Reference("makani-diag-33x64")
        let checkpoint = try HDF5File.open(reference.checkpoint)
        let names = try checkpoint.openDataset("channels/state").readStrings()
        var input = try reference.floats("input")
        let output = folder.appendingPathComponent("out.h5").path
        let good = try writeInput("good", fields: input, shape: [1, 5, 33, 64], names: names,
                                  latitudes: (0..<33).map { 90 - 180 * Double($0) / 32 })
        input[3 * 33 * 64 + 100] = .nan
        let nan = try writeInput("nan", fields: input, shape: [1, 5, 33, 64], names: names)
        let southFirst = try writeInput("south", fields: input, shape: [1, 5, 33, 64], names: names,
                                        latitudes: (0..<33).map { -90 + 180 * Double($0) / 32 })
        let renamed = try writeInput("renamed", fields: input, shape: [1, 5, 33, 64], names: ["a", "b", "c", "d", "e"])
        let cases: [([String], String)] = [
            (["--input", nan, "--time", "2023-08-15T18:00:00Z"], "is not finite at lat 1, lon 36"),
            (["--input", renamed, "--time", "2023-08-15T18:00:00Z"], "channel '\(names[0])' of the checkpoint is not in"),
            (["--input", southFirst, "--time", "2023-08-15T18:00:00Z"], "coords.lat (33 values from -90.0 to 90.0) differs from the checkpoint's grid"),
            (["--input", good], "needs the valid time of the initial state"),
            (["--input", good, "--time", "yesterday"], "--time 'yesterday' is not an ISO 8601 time"),
            (["--input", good, "--time", "2023-08-15T18:00:00Z", "--index", "1"], "--index 1 is outside 0 ..< 1"),
            (["--input", good, "--time", "2023-08-15T18:00:00Z", "--steps", "0"], "--steps must be at least 1"),
            (["--input", folder.appendingPathComponent("none.h5").path], "cannot read"),
        ]
        for (options, message) in cases {
            let result = try MPIJob.run(ranks: 2, ["forward", "--checkpoint", reference.checkpoint, "--output", output] + options)
            XCTAssertNotEqual(result.status, 0, options.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(message), "expected '\(message)' in: \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), options.joined(separator: " "))
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains("tmp") }
        XCTAssertEqual(leftovers, [])
        // A checkpoint that is not one.
        let result = try MPIJob.run(ranks: 1, ["forward", "--checkpoint", good, "--input", good, "--output", output])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("attribute missing"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
    }

    /// A long forecast is written a step at a time: 400 steps of the demo network (52 MB of output) need no
    /// more memory than 10 steps (peak RSS from /usr/bin/time), and the file holds every step.
    func testLongForecastsAreWrittenStepByStepInBoundedMemory() throws {
        let scratch = try makeScratchDirectory("myriad-forward-long")
        let checkpoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("data/demo/demo-sfno-0.h5").path
        let states = try DemoStates.path()
        var peakKB: [Int: Int] = [:]
        for steps in [10, 400] {
            let output = scratch.appendingPathComponent("forecast-\(steps).h5").path
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
            process.arguments = ["-f", "peak-rss-kb %M", MPIJob.executable, "forward", "--checkpoint", checkpoint, "--input", states,
                                 "--index", "4", "--steps", "\(steps)", "--output", output]
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, text)
            let line = try XCTUnwrap(text.split(separator: "\n").last { $0.hasPrefix("peak-rss-kb ") }, text)
            peakKB[steps] = Int(line.dropFirst("peak-rss-kb ".count))
            let file = try HDF5File.open(output)
            XCTAssertEqual(try file.openDataset("fields").shape, [steps, 4, 64, 128])
            XCTAssertEqual(try file.openDataset("valid_time").shape, [steps])
        }
        let growth = try XCTUnwrap(peakKB[400]) - XCTUnwrap(peakKB[10])
        XCTAssertLessThan(growth, 12_000, "peak RSS grew by \(growth) kB from 10 to 400 steps: steps are held in memory")
    }
}
