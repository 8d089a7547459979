import MPI

/// Settings of a shallow-water run that cannot work (`ShallowWaterTrajectories`), or its output file that
/// cannot be written. `SameOnEveryRank`: every rank checks the same settings and the same folder alike.
/// The messages name the settings by the options of `myriad swe`, which passes them on unchanged.
public struct ShallowWaterError: SameOnEveryRank, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
