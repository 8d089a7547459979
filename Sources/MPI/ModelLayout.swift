/// How one ensemble member's model is split over ranks: `h` parts in latitude, `w` in longitude,
/// `channel` over channels/weights. Its `size` ranks form one model group.
public struct ModelLayout: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var h: Int
    public var w: Int
    public var channel: Int

    public init(h: Int = 1, w: Int = 1, channel: Int = 1) {
        precondition(h > 0 && w > 0 && channel > 0, "ModelLayout: every factor must be positive")
        self.h = h
        self.w = w
        self.channel = channel
    }

    /// Ranks per model group.
    public var size: Int { h * w * channel }

    public var description: String { "(h=\(h), w=\(w), channel=\(channel))" }

    /// Parses `h=2,w=1,channel=1`; keys may be omitted (default 1) and appear in any order.
    public init(parsing text: String) throws {
        var values = ["h": 1, "w": 1, "channel": 1]
        var seen = Set<String>()
        for item in text.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: " ") }
            guard parts.count == 2, values[parts[0]] != nil else {
                throw LayoutError.malformed(text, reason: "'\(item)' is not one of h=N, w=N, channel=N")
            }
            guard let n = Int(parts[1]), n > 0 else {
                throw LayoutError.malformed(text, reason: "'\(parts[0])' must be a positive integer, got '\(parts[1])'")
            }
            guard seen.insert(parts[0]).inserted else {
                throw LayoutError.malformed(text, reason: "'\(parts[0])' is given twice")
            }
            values[parts[0]] = n
        }
        self.init(h: values["h"]!, w: values["w"]!, channel: values["channel"]!)
    }
}

/// A model layout that cannot be used.
public enum LayoutError: Error, CustomStringConvertible, Equatable {
    case malformed(String, reason: String)
    case worldDoesNotDivide(worldSize: Int, layout: ModelLayout)

    public var description: String {
        switch self {
        case let .malformed(text, reason):
            "invalid layout '\(text)': \(reason) (example: --layout h=2,w=1,channel=1)"
        case let .worldDoesNotDivide(worldSize, layout):
            "the world of \(worldSize) ranks does not divide into model groups of \(layout.size) ranks "
                + "(layout \(layout)); start a multiple of \(layout.size) ranks or choose a layout whose "
                + "h × w × channel divides \(worldSize)"
        }
    }
}

private extension Substring {
    func trimmingCharacters(in set: Character) -> String {
        String(drop(while: { $0 == set }).reversed().drop(while: { $0 == set }).reversed())
    }
}
