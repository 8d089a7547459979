import MPI

/// A checkpoint or model input that cannot be used: names the file, the object inside it, what was
/// expected and what was found, and how to fix it. Every rank of a job reads the same files and finds the
/// same problem, so the error is `SameOnEveryRank`.
public struct SFNOError: Error, SameOnEveryRank, Sendable {
    /// The file concerned (checkpoint or input), if any.
    public let file: String?
    /// The key, attribute or dataset inside it, if any.
    public let object: String?
    /// What is wrong, e.g. "expected shape [32, 46, 1, 1], found [32, 45, 1, 1]".
    public let problem: String
    /// What to do about it.
    public let fix: String?

    public init(file: String? = nil, object: String? = nil, _ problem: String, fix: String? = nil) {
        self.file = file
        self.object = object
        self.problem = problem
        self.fix = fix
    }

    public var description: String {
        var text = ""
        if let file { text += "\(file): " }
        if let object { text += "'\(object)': " }
        text += problem
        if let fix { text += ". Fix: \(fix)" }
        return text
    }
}
