import Foundation
import Yams

/// One problem of a run configuration, at its key path (`perturbation.amplitude`) and YAML line.
public struct ConfigurationProblem: Sendable, CustomStringConvertible {
    public let keyPath: String
    public let line: Int?
    public let message: String

    public var description: String {
        let place = keyPath.isEmpty ? "(top level)" : keyPath
        return line.map { "\(place) (line \($0)): \(message)" } ?? "\(place): \(message)"
    }
}

/// Every problem of a configuration at once, so that a user fixes them in one go before any work starts.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let file: String
    public let problems: [ConfigurationProblem]

    public var description: String {
        let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
        return "\(file): \(count) in the run configuration (docs/configuration.md lists every key):\n"
            + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// Walks a YAML document key by key, converting values and collecting problems instead of stopping at the
/// first. Every read names the key path; unknown keys are problems too (a typo must not silently fall
/// back to a default).
final class ConfigurationReader {
    private(set) var problems: [ConfigurationProblem] = []

    func problem(_ path: String, _ node: Node?, _ message: String) {
        problems.append(ConfigurationProblem(keyPath: path, line: node?.mark?.line, message: message))
    }

    /// The pairs of a mapping node, checking that every key is one of `known`.
    func mapping(_ node: Node?, path: String, known: [String]) -> [String: Node] {
        guard let node else { return [:] }
        if case .scalar = node, node.null != nil { return [:] }
        guard let mapping = node.mapping else {
            problem(path, node, "must be a mapping of keys (\(known.joined(separator: ", "))), got '\(describe(node))'")
            return [:]
        }
        var result: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string else {
                problem(path, key, "keys must be names")
                continue
            }
            guard known.contains(name) else {
                let suggestion = known.min { editDistance($0, name) < editDistance($1, name) }
                    .flatMap { editDistance($0, name) <= 3 ? " (did you mean '\($0)'?)" : nil } ?? ""
                problem(join(path, name), key, "unknown key\(suggestion); known keys here: \(known.joined(separator: ", "))")
                continue
            }
            if result[name] != nil { problem(join(path, name), key, "given twice") }
            result[name] = value
        }
        return result
    }

    func string(_ node: Node?, path: String) -> String? {
        guard let node else { return nil }
        guard let value = node.scalar?.string, node.null == nil else {
            problem(path, node, "must be a text value, got '\(describe(node))'")
            return nil
        }
        return value
    }

    func int(_ node: Node?, path: String, range: ClosedRange<Int>? = nil) -> Int? {
        guard let node else { return nil }
        guard let value = node.int else {
            problem(path, node, "must be an integer, got '\(describe(node))'")
            return nil
        }
        if let range, !range.contains(value) {
            problem(path, node, "must lie in \(range.lowerBound) … \(range.upperBound), got \(value)")
            return nil
        }
        return value
    }

    func double(_ node: Node?, path: String, positive: Bool = false) -> Double? {
        guard let node else { return nil }
        guard let value = node.float, value.isFinite else {
            problem(path, node, "must be a finite number, got '\(describe(node))'")
            return nil
        }
        if positive && value <= 0 {
            problem(path, node, "must be positive, got \(value)")
            return nil
        }
        return value
    }

    func bool(_ node: Node?, path: String) -> Bool? {
        guard let node else { return nil }
        guard let value = node.bool else {
            problem(path, node, "must be true or false, got '\(describe(node))'")
            return nil
        }
        return value
    }

    /// A sequence; a single scalar is accepted as a one-element list.
    func list(_ node: Node?, path: String) -> [(path: String, node: Node)]? {
        guard let node else { return nil }
        if let sequence = node.sequence {
            return sequence.enumerated().map { ("\(path)[\($0.offset)]", $0.element) }
        }
        if node.scalar != nil, node.null == nil { return [(path, node)] }
        problem(path, node, "must be a list, got '\(describe(node))'")
        return nil
    }

    func strings(_ node: Node?, path: String) -> [String]? {
        guard let items = list(node, path: path) else { return nil }
        return items.compactMap { string($0.node, path: $0.path) }
    }

    func doubles(_ node: Node?, path: String) -> [Double]? {
        guard let items = list(node, path: path) else { return nil }
        return items.compactMap { double($0.node, path: $0.path) }
    }

    /// A mapping from names to numbers or lists of numbers (`{height: 13.7}`, `{t2m: [300, 305]}`).
    func namedDoubles(_ node: Node?, path: String) -> [String: [Double]]? {
        guard let node else { return nil }
        guard let mapping = node.mapping else {
            problem(path, node, "must map variable names to numbers, got '\(describe(node))'")
            return nil
        }
        var result: [String: [Double]] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { continue }
            result[name] = doubles(value, path: join(path, name))
        }
        return result
    }

    /// An ISO 8601 time such as `2023-06-01T00:00:00Z` (a bare date means 00:00 UTC).
    func time(_ node: Node?, path: String) -> Date? {
        guard let text = string(node, path: path) else { return nil }
        if let date = parseISO8601(text) { return date }
        problem(path, node, "'\(text)' is not an ISO 8601 time such as 2023-06-01T00:00:00Z")
        return nil
    }

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func describe(_ node: Node) -> String {
        if let scalar = node.scalar { return scalar.string }
        if node.sequence != nil { return "a list" }
        return "a mapping"
    }
}

/// Parses `2023-06-01T00:00:00Z`, with fractional seconds or as a bare date `2023-06-01` (UTC).
public func parseISO8601(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    if let date = formatter.date(from: text) { return date }
    formatter.formatOptions.insert(.withFractionalSeconds)
    if let date = formatter.date(from: text) { return date }
    formatter.formatOptions = [.withFullDate]
    return formatter.date(from: text)
}

/// Levenshtein distance, for "did you mean" hints on misspelt keys.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...max(b.count, 1) where !b.isEmpty {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
