import CMPI
#if canImport(Glibc)
import Glibc
#endif

/// The MPI runtime of this process: initialised once, finalised at exit.
///
/// Every rank of the job calls `MPIEnvironment.start()` at the beginning of a command that needs MPI.
/// Errors on the world communicator are returned (not fatal) so that they become Swift errors; a rank
/// that cannot carry on calls `abort(message:)`, which stops every rank of the job within seconds.
public enum MPIEnvironment {
    /// Initialises MPI (funneled threading: only the main thread calls MPI) and returns the world.
    /// Safe to call more than once.
    @discardableResult
    public static func start() throws -> Communicator {
        var initialised: Int32 = 0
        try check(MPI_Initialized(&initialised), "MPI_Initialized")
        if initialised == 0 {
            var provided: Int32 = 0
            try check(MPI_Init_thread(nil, nil, myriad_mpi_thread_funneled(), &provided), "MPI_Init_thread")
            try check(MPI_Comm_set_errhandler(myriad_mpi_comm_world(), myriad_mpi_errors_return()),
                      "MPI_Comm_set_errhandler")
            try check(MPI_Comm_set_errhandler(myriad_mpi_comm_self(), myriad_mpi_errors_return()),
                      "MPI_Comm_set_errhandler")
            var duplicate: MPI_Comm? = nil
            try check(MPI_Comm_dup(myriad_mpi_comm_world(), &duplicate), "MPI_Comm_dup")
            failureCommunicator = duplicate
        }
        return Communicator.world
    }

    /// A copy of the world reserved for `everyRankArrives`: its barrier can match no other collective.
    nonisolated(unsafe) private static var failureCommunicator: MPI_Comm?

    /// Whether every rank of the job calls this within `seconds` (a nonblocking barrier, polled).
    ///
    /// Used where a rank has failed with an error it believes every rank raises alike: if the others
    /// arrive, one report and a clean exit suffice; if they do not, this rank failed alone and the others
    /// may wait in a collective it will never join, so the job must be aborted. Once false, the job is
    /// left in a state only `abort` may follow.
    public static func everyRankArrives(within seconds: Double) -> Bool {
        guard isActive, let communicator = failureCommunicator, Communicator.world.size > 1 else { return true }
        var request: MPI_Request? = nil
        guard MPI_Ibarrier(communicator, &request) == myriad_mpi_success() else { return false }
        let deadline = monotonicSeconds() + seconds
        var done: Int32 = 0
        while monotonicSeconds() < deadline {
            guard MPI_Test(&request, &done, myriad_mpi_status_ignore()) == myriad_mpi_success() else { return false }
            if done != 0 { return true }
            usleep(2_000)
        }
        return false
    }

    private static func monotonicSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// Whether `MPI_Init` has been called and `MPI_Finalize` has not.
    public static var isActive: Bool {
        var initialised: Int32 = 0
        var finalised: Int32 = 0
        MPI_Initialized(&initialised)
        MPI_Finalized(&finalised)
        return initialised != 0 && finalised == 0
    }

    /// Finalises MPI if it is active. Every rank must call it (it is collective).
    public static func finish() {
        if isActive { MPI_Finalize() }
    }

    /// Stops every rank of the job: prints `message` to standard error (prefixed with the rank) and
    /// calls `MPI_Abort` on the world, which makes `mpirun`/`srun` end all processes with `code`.
    /// Without an active MPI runtime it simply exits.
    public static func abort(message: String, code: Int32 = 1) -> Never {
        if !message.isEmpty {
            let prefix = isActive && Communicator.world.size > 1 ? "[rank \(Communicator.world.rank)] " : ""
            writeStandardError("\(prefix)\(message)\n")
        }
        if isActive && Communicator.world.size > 1 {
            MPI_Abort(myriad_mpi_comm_world(), code)
        }
        finish()
        exit(code)
    }

    /// The MPI library's own version string (`MPI_Get_library_version`).
    public static var libraryVersion: String {
        var buffer = [CChar](repeating: 0, count: Int(myriad_mpi_max_library_version_string()) + 1)
        var length: Int32 = 0
        MPI_Get_library_version(&buffer, &length)
        let text = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(separator: ",").first.map(String.init) ?? text
    }

    /// The MPI standard version the library implements, e.g. "3.1".
    public static var standardVersion: String {
        var major: Int32 = 0
        var minor: Int32 = 0
        MPI_Get_version(&major, &minor)
        return "\(major).\(minor)"
    }

    /// This node's name as MPI reports it (`MPI_Get_processor_name`).
    public static var processorName: String {
        var buffer = [CChar](repeating: 0, count: Int(myriad_mpi_max_processor_name()) + 1)
        var length: Int32 = 0
        MPI_Get_processor_name(&buffer, &length)
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Unbuffered write to standard error (safe to call right before `MPI_Abort`).
public func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}
