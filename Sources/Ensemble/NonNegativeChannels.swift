/// Channels that must stay non-negative after perturbing (HENS: specific humidities and tcwv), named by
/// patterns: `"q*"` matches every channel whose name starts with `q`, other patterns match a name exactly.
public struct NonNegativeChannels: Sendable {
    /// Indices of the matching channels.
    public let indices: [Int]

    public init(patterns: [String], channels: [String]) {
        indices = channels.indices.filter { c in patterns.contains { Self.matches($0, channels[c]) } }
    }

    init(indices: [Int]) { self.indices = indices }

    static func matches(_ pattern: String, _ name: String) -> Bool {
        pattern.hasSuffix("*") ? name.hasPrefix(pattern.dropLast()) : name == pattern
    }

    /// Sets their negative values to 0. - state: `[channels][points]`
    public func clip(_ state: inout [Float], points: Int) {
        for c in indices {
            for i in (c * points)..<((c + 1) * points) where state[i] < 0 { state[i] = 0 }
        }
    }
}
