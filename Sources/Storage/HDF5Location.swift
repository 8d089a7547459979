import CHDF5
import MPI

/// An open HDF5 object (file, group or dataset) that can carry attributes. Closed on deinit.
public class HDF5Location: @unchecked Sendable {
    let id: hid_t
    /// The file's path on disk, for messages.
    public let filePath: String
    /// The object's path inside the file ("/" for the root).
    public let objectPath: String
    /// Whether the file is open through MPI-IO (transfers then choose collective or independent).
    let isParallelFile: Bool
    /// Whether the file is shared by more than one rank through MPI-IO. A failed call on such a file
    /// ends the job at once (`MPIEnvironment.abort`): the other ranks may already wait inside the
    /// collective operation that failed here (HDF5 calls MPI collectives inside writes, flushes and
    /// closes), and unwinding would close this rank's handles in yet another collective, so no error
    /// could ever reach them. Serial files, and files of a one-rank communicator, throw as usual.
    let isSharedByRanks: Bool
    private let close: (hid_t) -> herr_t

    init(id: hid_t, filePath: String, objectPath: String, isParallelFile: Bool, isSharedByRanks: Bool,
         close: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.filePath = filePath
        self.objectPath = objectPath
        self.isParallelFile = isParallelFile
        self.isSharedByRanks = isSharedByRanks
        self.close = close
    }

    /// Writers of shared files flush before they let go of a file (`HDF5File.flush`, checked), so that a
    /// failure to write (a full disk) is raised there and not lost in a close.
    deinit { _ = close(id) }

    func childPath(_ name: String) -> String { objectPath == "/" ? "/\(name)" : "\(objectPath)/\(name)" }

    @discardableResult
    func check<R: BinaryInteger>(_ result: R, _ operation: @autoclosure () -> String, object: String? = nil) throws -> R {
        do {
            return try h5check(result, operation(), file: filePath, object: object ?? objectPath)
        } catch {
            if isSharedByRanks { endJob(error) }
            throw error
        }
    }

    /// Prints the error and aborts every rank of the job (see `isSharedByRanks`).
    private func endJob(_ error: Error) -> Never {
        MPIEnvironment.abort(message: "myriad: error: \(error); this rank failed inside a collective write of a shared file, "
                             + "so the job ends here (the other ranks could not learn of it). Files under their final names "
                             + "and the last restart record are untouched.")
    }
}
