import MPI

/// A mistake in the command line or its input files, which every rank finds alike.
struct UsageError: SameOnEveryRank {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
