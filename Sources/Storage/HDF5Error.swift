import CHDF5

/// An HDF5 call that failed, with the file and object it concerned and HDF5's own explanation
/// (taken from its error stack, which Myriad never lets HDF5 print itself).
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
    /// What Myriad was doing, e.g. "create dataset".
    public let operation: String
    /// The file concerned.
    public let file: String
    /// The object inside the file (dataset, group or attribute path), if any.
    public let object: String?
    /// HDF5's description: the outermost and the innermost message of its error stack.
    public let reason: String

    public var description: String {
        let target = object.map { "'\($0)' in '\(file)'" } ?? "'\(file)'"
        return "HDF5: cannot \(operation) \(target): \(reason)"
    }
}

/// The funnel for HDF5 calls returning `herr_t` or `hid_t`: a negative result becomes an `HDF5Error`.
@discardableResult
func h5check<R: BinaryInteger>(_ result: R, _ operation: @autoclosure () -> String, file: @autoclosure () -> String,
                               object: @autoclosure () -> String? = nil) throws -> R {
    if result < 0 {
        throw HDF5Error(operation: operation(), file: file(), object: object(), reason: HDF5Library.currentErrorReason())
    }
    return result
}

/// An error Myriad raises itself about HDF5 content (wrong type, shape or missing object).
public struct HDF5ContentError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let object: String
    public let problem: String
    public var description: String { "\(file): '\(object)': \(problem)" }
}
