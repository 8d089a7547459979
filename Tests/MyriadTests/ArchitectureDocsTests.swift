import Foundation
import XCTest

/// docs/architecture.md draws the module ladder of Package.swift: every module under Sources/ (Swift and
/// system-library targets) and every dependency edge between them is in the picture, and the picture holds
/// nothing Package.swift lacks. External packages' products and the benchmark and test targets are not drawn.
final class ArchitectureDocsTests: XCTestCase {
    func testTheModulePictureIsPackageSwiftsGraph() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let docs = try String(contentsOf: root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        let package = try XCTUnwrap(Self.packageGraph(manifest))
        let picture = try XCTUnwrap(Self.pictureGraph(docs), "docs/architecture.md: no ```text block under '## Modules'")
        XCTAssertEqual(Set(picture.keys).subtracting(package.keys).sorted(), [],
                       "docs/architecture.md draws modules that Package.swift does not declare")
        XCTAssertEqual(Set(package.keys).subtracting(picture.keys).sorted(), [],
                       "Package.swift declares modules that docs/architecture.md does not draw")
        for (module, dependencies) in package.sorted(by: { $0.key < $1.key }) {
            let drawn = picture[module] ?? []
            XCTAssertEqual(dependencies.subtracting(drawn).sorted(), [],
                           "\(module): dependencies in Package.swift missing from docs/architecture.md")
            XCTAssertEqual(drawn.subtracting(dependencies).sorted(), [],
                           "\(module): dependencies in docs/architecture.md that Package.swift lacks")
        }
        XCTAssertGreaterThanOrEqual(package.count, 13, "the manifest parser found too few targets")
        XCTAssertGreaterThanOrEqual(package.values.map(\.count).reduce(0, +), 25, "the manifest parser found too few edges")
    }

    /// The targets of `.target`, `.executableTarget` and `.systemLibrary` at their default place under Sources/
    /// (a `path:` argument moves a target out: the benchmarks), each with its dependencies on targets of
    /// this package (quoted names; `.product(…)` entries name other packages and are dropped).
    static func packageGraph(_ manifest: String) -> [String: Set<String>]? {
        var graph: [String: Set<String>] = [:]
        let kinds = [".target(", ".executableTarget(", ".systemLibrary("]
        var rest = Substring(manifest)
        while let start = kinds.compactMap({ rest.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
            // The call's text up to its closing parenthesis.
            var depth = 1
            var end = start.upperBound
            while end < rest.endIndex, depth > 0 {
                if rest[end] == "(" { depth += 1 } else if rest[end] == ")" { depth -= 1 }
                end = rest.index(after: end)
            }
            let call = String(rest[start.upperBound..<end])
            rest = rest[end...]
            guard !call.contains("path:"), let name = quoted(call).first else { continue }
            var dependencies = Set<String>()
            if let list = call.range(of: "dependencies: [") {
                let tail = call[list.upperBound...]
                let body = tail[..<(tail.range(of: "],")?.lowerBound ?? tail.endIndex)]
                let withoutProducts = body.replacingOccurrences(of: #"\.product\([^)]*\)"#, with: "", options: .regularExpression)
                dependencies = Set(quoted(withoutProducts))
            }
            graph[name] = dependencies
        }
        return graph.isEmpty ? nil : graph
    }

    /// The first ```text block after "## Modules": lines `Module → A, B, …` (a module and its direct
    /// dependencies) and lines `A, B, … (…)` naming modules without dependencies.
    static func pictureGraph(_ docs: String) -> [String: Set<String>]? {
        guard let section = docs.range(of: "\n## Modules\n"),
              let open = docs.range(of: "```text\n", range: section.upperBound..<docs.endIndex),
              let close = docs.range(of: "```", range: open.upperBound..<docs.endIndex) else { return nil }
        var graph: [String: Set<String>] = [:]
        for line in docs[open.upperBound..<close.lowerBound].split(separator: "\n") {
            let parts = line.components(separatedBy: "→")
            let names = { (text: String) in
                text.split(separator: "(")[0].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            if parts.count == 2 {
                for module in names(parts[0]) { graph[module, default: []].formUnion(names(parts[1])) }
            } else {
                for module in names(parts[0]) { graph[module, default: []].formUnion([]) }
            }
        }
        return graph.isEmpty ? nil : graph
    }

    private static func quoted<S: StringProtocol>(_ text: S) -> [String] {
        text.split(separator: "\"", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }
}
