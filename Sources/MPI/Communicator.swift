import CMPI

/// An MPI communicator: a group of ranks that talk to each other.
///
/// Communicators made by `split` are freed when the last reference goes away; the world and self
/// communicators are never freed. Collective operations live in `Communicator+Collectives.swift`.
public final class Communicator: @unchecked Sendable {
    let handle: MPI_Comm
    private let owned: Bool
    /// This process's rank in the communicator, `0 ..< size`.
    public let rank: Int
    /// The number of ranks in the communicator.
    public let size: Int
    /// Payload bytes this rank has handed to MPI for other ranks through `transpose` and `exchange` (the blocks for other
    /// ranks), `allgather` / `allgatherv` (its values × (size − 1)) and the in-place `allreduce` (the
    /// buffer × 2(size − 1)/size, a ring's volume): the communication-volume accounting of docs/sfno.md.
    /// Not synchronised: collectives on one communicator come from one thread.
    public internal(set) var bytesSent = 0
    /// The buffers of `transpose`, reused by every call on this communicator.
    let transposeScratch = TransposeScratch()

    init(handle: MPI_Comm, owned: Bool) throws {
        self.handle = handle
        self.owned = owned
        var r: Int32 = 0
        var s: Int32 = 0
        try check(MPI_Comm_rank(handle, &r), "MPI_Comm_rank")
        try check(MPI_Comm_size(handle, &s), "MPI_Comm_size")
        rank = Int(r)
        size = Int(s)
    }

    deinit {
        if owned && MPIEnvironment.isActive {
            var h: MPI_Comm? = handle
            MPI_Comm_free(&h)
        }
    }

    /// All ranks of the job. MPI must have been started (`MPIEnvironment.start()`).
    public static var world: Communicator {
        // Rank and size never change, so re-wrapping the predefined handle is cheap and safe.
        try! Communicator(handle: myriad_mpi_comm_world(), owned: false)
    }

    /// This rank alone.
    public static var selfOnly: Communicator {
        try! Communicator(handle: myriad_mpi_comm_self(), owned: false)
    }

    /// The C handle, for C libraries that take a communicator (HDF5's MPI-IO driver, FFTW-MPI).
    public var rawHandle: MPI_Comm { handle }

    /// Whether this rank is rank 0 of the communicator.
    public var isRoot: Bool { rank == 0 }

    /// Splits into sub-communicators: ranks with the same `color` end up together, ordered by `key`
    /// (ties by their rank here). Collective.
    public func split(color: Int, key: Int) throws -> Communicator {
        var newHandle: MPI_Comm? = nil
        try check(MPI_Comm_split(handle, try mpiCount(color, "MPI_Comm_split"),
                                 try mpiCount(key, "MPI_Comm_split"), &newHandle), "MPI_Comm_split")
        guard let newHandle else { throw MPIError(function: "MPI_Comm_split", code: -1, message: "no communicator") }
        try check(MPI_Comm_set_errhandler(newHandle, myriad_mpi_errors_return()), "MPI_Comm_set_errhandler")
        return try Communicator(handle: newHandle, owned: true)
    }

    /// Blocks until every rank of the communicator has called it.
    public func barrier() throws {
        try check(MPI_Barrier(handle), "MPI_Barrier")
    }
}
