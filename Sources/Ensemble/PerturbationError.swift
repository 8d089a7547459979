/// A perturbation that cannot be built or applied as configured (channel names, shapes, grids).
public struct PerturbationError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
