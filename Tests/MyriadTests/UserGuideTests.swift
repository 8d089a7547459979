import Ensemble
import Foundation
import XCTest

/// The docs match the program: the help text shown in docs/user-guide.md is what the built executable prints,
/// and the HENS configuration of cluster/ is a valid run configuration of the size it claims.
final class UserGuideTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Every block `<!-- output of: myriad ARGS -->` + fenced text of the guide equals `myriad ARGS`'s output
    /// (80 columns, as printed into a pipe without COLUMNS).
    func testHelpBlocksInTheUserGuideAreTheProgramsOutput() throws {
        let guide = try String(contentsOf: Self.root.appendingPathComponent("docs/user-guide.md"), encoding: .utf8)
        let marker = "<!-- output of: myriad "
        var checked: [String] = []
        for part in guide.components(separatedBy: marker).dropFirst() {
            let header = try XCTUnwrap(part.range(of: " -->\n```text\n"), "a help marker must be followed by a ```text block")
            let arguments = part[..<header.lowerBound].split(separator: " ").map(String.init)
            let body = part[header.upperBound...]
            let end = try XCTUnwrap(body.range(of: "\n```"), "unterminated help block for myriad \(arguments.joined(separator: " "))")
            let shown = String(body[..<end.lowerBound])
            let printed = try help(arguments)
            XCTAssertEqual(shown, printed, """
                docs/user-guide.md shows other text than `myriad \(arguments.joined(separator: " "))` prints; replace the block with:
                \(printed)
                """)
            checked.append(arguments.joined(separator: " "))
        }
        XCTAssertEqual(checked, ["--help", "run --help"], "the guide shows the help of myriad and of myriad run")
    }

    /// cluster/hens.yaml with an initial time in place of @INITIAL_TIME@: 29 checkpoints × 256 members, 360 h.
    func testHENSTemplateIsAValidConfigurationOfHENSSize() throws {
        let template = try String(contentsOf: Self.root.appendingPathComponent("cluster/hens.yaml"), encoding: .utf8)
        XCTAssertTrue(template.contains("@INITIAL_TIME@"))
        let text = template.replacingOccurrences(of: "@INITIAL_TIME@", with: "2023-06-01T00:00:00Z")
        let configuration = try RunConfiguration(yaml: text, file: "cluster/hens.yaml")
        XCTAssertEqual(configuration.checkpoints.count, 29)
        XCTAssertEqual(Set(configuration.checkpoints).count, 29)
        XCTAssertEqual(configuration.membersPerCheckpoint, 256)
        XCTAssertEqual(configuration.leadHours, 360, "60 steps of 6 h")
        XCTAssertEqual(configuration.initialConditions.times.count, 1)
        XCTAssertEqual(configuration.perturbation.kind, .bredVector)
        XCTAssertEqual(configuration.layout.size, 1, "pure ensemble parallelism")
    }

    /// `myriad ARGUMENTS` run directly (help needs no MPI), standard output without the final newline.
    func help(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: MPIJob.executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = nil
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "myriad \(arguments.joined(separator: " "))")
        var text = String(decoding: data, as: UTF8.self)
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
