/// A trajectory that blew up on one rank (non-finite values): raised by the rank that integrates it alone, so
/// not `SameOnEveryRank` (the job is aborted).
public struct IntegrationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
