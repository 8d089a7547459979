import Foundation
import SFNO
import Storage
import XCTest

/// The checkpoint loader refuses damaged files before any work starts, and says what, where and why.
/// Each damaged file is made here from a copy of a fixture (no broken fixture is committed).
final class SFNOCheckpointTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = try makeScratchDirectory("myriad-sfno") }

    /// A copy of a fixture checkpoint, changed by `damage`.
    func damaged(_ fixture: String, _ damage: (HDF5File) throws -> Void) throws -> String {
        let path = folder.appendingPathComponent("damaged-\(fixture)").path
        try FileManager.default.copyItem(atPath: SFNOFixtureTests.path(fixture), toPath: path)
        let file = try HDF5File.open(path, access: .readWrite)
        try damage(file)
        return path
    }

    /// Loads and returns the error's text, failing the test if the file is accepted.
    func refusal(_ path: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try loadForecastModel(checkpoint: path)
            XCTFail("\(path) was accepted", file: file, line: line)
            return ""
        } catch let error as SFNOError {
            return error.description
        } catch {
            XCTFail("unexpected error type: \(error)", file: file, line: line)
            return ""
        }
    }

    func testIntactFixturesLoad() throws {
        for name in ["makani-hens-33x64.h5", "makani-diag-33x64.h5", "th-sfno-eq33x64.h5", "th-sfno-lg32x64.h5",
                     "th-sfno-proj-eq33x64.h5"] {
            XCTAssertNoThrow(try Checkpoint(path: SFNOFixtureTests.path(name)), name)
        }
    }

    func testMissingWeightIsRefused() throws {
        let key = "model.blocks.2.outer_skip.weight"
        let path = try damaged("makani-hens-33x64.h5") { try $0.openGroup("weights").removeMember(key) }
        let message = refusal(path)
        print("missing weight: \(message)")
        XCTAssertTrue(message.contains(path), message)
        XCTAssertTrue(message.contains("weights/\(key)"), message)
        XCTAssertTrue(message.contains("missing (expected shape [32, 32, 1, 1])"), message)
        XCTAssertTrue(message.contains("Fix:"), message)
    }

    func testWrongShapeIsRefused() throws {
        let key = "blocks.1.global_conv.weight"
        var original = [Int]()
        let path = try damaged("th-sfno-eq33x64.h5") { file in
            let weights = try file.openGroup("weights")
            original = try weights.openDataset(key).shape
            try weights.removeMember(key)
            var wrong = original
            wrong[2] -= 1
            let data = try weights.createDataset(key, of: Float.self, shape: wrong)
            try data.write([Float](repeating: 0.5, count: wrong.reduce(1, *)))
        }
        var wrong = original
        wrong[2] -= 1
        let message = refusal(path)
        print("wrong shape: \(message)")
        XCTAssertTrue(message.contains("weights/\(key)"), message)
        XCTAssertTrue(message.contains("expected shape \(original), found \(wrong)"), message)
    }

    func testUnexpectedWeightIsRefused() throws {
        let path = try damaged("th-sfno-lg32x64.h5") { file in
            let data = try file.openGroup("weights").createDataset("blocks.9.extra", of: Float.self, shape: [2])
            try data.write([Float](repeating: 1, count: 2))
        }
        let message = refusal(path)
        XCTAssertTrue(message.contains("weights/blocks.9.extra") && message.contains("not a weight"), message)
    }

    func testWrongFormatAndVersionAreRefused() throws {
        let format = try damaged("makani-diag-33x64.h5") { try $0.setAttribute("format", "something-else") }
        XCTAssertTrue(refusal(format).contains("'@format': expected 'myriad-sfno-checkpoint', found 'something-else'"))
        try FileManager.default.removeItem(atPath: format)
        let version = try damaged("makani-diag-33x64.h5") { try $0.setAttribute("format_version", Int64(2)) }
        XCTAssertTrue(refusal(version).contains("'@format_version': expected 1, found 2"))
        try FileManager.default.removeItem(atPath: version)
        let architecture = try damaged("makani-diag-33x64.h5") { try $0.setAttribute("architecture", "fourcastnet") }
        XCTAssertTrue(refusal(architecture).contains("found 'fourcastnet'"))
    }

    func testInconsistentChannelCountIsRefused() throws {
        let path = try damaged("makani-hens-33x64.h5") { try $0.setAttribute("in_chans", Int64(45)) }
        let message = refusal(path)
        XCTAssertTrue(message.contains("@in_chans") && message.contains("found 45 → 10"), message)
    }

    func testUnreadableFileIsRefused() throws {
        let missing = folder.appendingPathComponent("nothing.h5").path
        XCTAssertTrue(refusal(missing).contains("no such file"))
        let text = folder.appendingPathComponent("text.h5").path
        try "not HDF5".write(toFile: text, atomically: true, encoding: .utf8)
        XCTAssertTrue(refusal(text).contains("cannot be opened as HDF5"))
    }
}
