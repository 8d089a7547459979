import MPI

/// A perturbation that cannot be built as configured (channel names, amplitudes, grids). `SameOnEveryRank`:
/// it is thrown only while the perturbation is built from the run's configuration and plan, which every
/// rank does alike (`MemberPerturbation.init`), so it is printed once.
public struct PerturbationError: SameOnEveryRank, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A state handed to a perturbation that does not fit it (an analysis or a model step of the wrong size).
/// Not `SameOnEveryRank`: it is raised while a member is perturbed, by the ranks that hold that member only.
public struct PerturbationStateError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
