import Ensemble
import Foundation
import XCTest

/// docs/configuration.md documents exactly the keys the reader accepts: every key path of the code has a
/// row in the docs and every row names a key of the code.
final class ConfigurationDocsTests: XCTestCase {
    func testEveryConfigurationKeyIsDocumentedAndEveryDocumentedKeyExists() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        var documented = Set<String>()
        var section: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("### ") {
                // "### Top level" → "", "### `output`" → "output", "### `restart`, `progress`" → keys carry their section
                let names = line.split(separator: "`").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
                section = line.contains("Top level") ? "" : (names.count == 1 ? names[0] : nil)
                continue
            }
            if line.hasPrefix("## ") { section = nil; continue }
            guard line.hasPrefix("| `"), let key = line.split(separator: "`").dropFirst().first.map(String.init) else { continue }
            guard let section else {
                documented.insert(key)           // rows of combined sections name the whole path
                continue
            }
            documented.insert(section.isEmpty ? key : "\(section).\(key)")
        }
        let code = Set(RunConfiguration.allKeyPaths)
        XCTAssertEqual(documented.subtracting(code).sorted(), [], "documented keys the reader does not accept")
        XCTAssertEqual(code.subtracting(documented).sorted(), [], "keys the reader accepts that docs/configuration.md does not document")
        XCTAssertGreaterThan(code.count, 40)
    }

    /// The demo configuration and the full example of the docs are valid configurations.
    func testTheDocumentedExampleAndTheDemoConfigurationParse() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let docs = try String(contentsOf: root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let example = try XCTUnwrap(docs.components(separatedBy: "```yaml\n").dropFirst().first?.components(separatedBy: "```").first)
        let parsed = try RunConfiguration(yaml: example, file: "docs/configuration.md")
        XCTAssertEqual(parsed.checkpoints.count, 2)
        XCTAssertEqual(parsed.initialConditions.times.count, 92, "June 1 … August 31, daily")
        XCTAssertEqual(parsed.perturbation.kind, .bredVector)
        XCTAssertEqual(parsed.output.latitudeRange, 20...75)
        let demo = try RunConfiguration(contentsOf: root.appendingPathComponent("data/demo/run.yaml").path)
        XCTAssertEqual(demo.checkpoints.count * demo.membersPerCheckpoint, 64)
    }
}
