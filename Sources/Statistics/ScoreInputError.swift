import MPI

/// A members or truth file that `myriad score` cannot score (`ScoreInput`, `ScoreEngineInput`), naming the file
/// and the fix. `SameOnEveryRank`: every rank opens the same files and checks them alike.
public struct ScoreInputError: SameOnEveryRank, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
