import CMPI

/// An MPI call that returned an error code, with MPI's own description of it.
public struct MPIError: Error, CustomStringConvertible, Sendable {
    /// The MPI function that failed, e.g. `MPI_Allreduce`.
    public let function: String
    /// The MPI error code.
    public let code: Int32
    /// `MPI_Error_string` for `code`.
    public let message: String

    public var description: String { "\(function) failed: \(message) (MPI error \(code))" }
}

/// A count or size that does not fit MPI's 32-bit `int` arguments.
public struct MPICountOverflow: Error, CustomStringConvertible, Sendable {
    public let function: String
    public let count: Int
    public var description: String {
        "\(function): count \(count) exceeds MPI's 32-bit limit (\(Int32.max)); split the transfer"
    }
}

/// The one funnel through which every MPI return code passes.
@inline(__always)
func check(_ code: Int32, _ function: @autoclosure () -> String) throws {
    if code != myriad_mpi_success() {
        throw MPIError(function: function(), code: code, message: errorString(code))
    }
}

func errorString(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: Int(myriad_mpi_max_error_string()) + 1)
    var length: Int32 = 0
    guard MPI_Error_string(code, &buffer, &length) == myriad_mpi_success() else { return "unknown MPI error" }
    return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Converts a Swift count to MPI's `int`, refusing silently truncated transfers.
@inline(__always)
func mpiCount(_ n: Int, _ function: @autoclosure () -> String) throws -> Int32 {
    guard let c = Int32(exactly: n) else { throw MPICountOverflow(function: function(), count: n) }
    return c
}
