import CHDF5
import MPI

/// An HDF5 file, opened serially or, with a communicator, with MPI-IO (parallel HDF5). The file is its
/// own root group.
///
/// Under MPI-IO, opening, creating objects and attributes and closing are collective: every rank of the
/// communicator makes the same calls with the same arguments (REFERENCE.md §7).
public final class HDF5File: HDF5Group, @unchecked Sendable {
    /// The communicator the file was opened on, or nil for serial access.
    public let communicator: Communicator?

    /// How `create` treats an existing file.
    public enum Existing: Sendable { case overwrite, fail }
    /// How `open` accesses a file.
    public enum Access: Sendable { case readOnly, readWrite }

    private init(id: hid_t, path: String, communicator: Communicator?) {
        self.communicator = communicator
        super.init(id: id, filePath: path, objectPath: "/", isParallelFile: communicator != nil,
                   isSharedByRanks: (communicator?.size ?? 1) > 1, close: H5Fclose)
    }

    /// Creates a file. With `communicator` the file is shared by its ranks through MPI-IO.
    /// Link and attribute creation order are tracked (netCDF-4 needs it).
    public static func create(_ path: String, existing: Existing = .overwrite,
                              communicator: Communicator? = nil) throws -> HDF5File {
        HDF5Library.ensureOpen()
        let fapl = try accessProperties(path: path, communicator: communicator)
        defer { H5Pclose(fapl) }
        let fcpl = try h5check(H5Pcreate(myriad_h5p_file_create()), "create file properties", file: path)
        defer { H5Pclose(fcpl) }
        let order = myriad_h5p_crt_order_tracked() | myriad_h5p_crt_order_indexed()
        try h5check(H5Pset_link_creation_order(fcpl, order), "track link order", file: path)
        try h5check(H5Pset_attr_creation_order(fcpl, order), "track attribute order", file: path)
        try h5check(H5Pset_obj_track_times(fcpl, false), "stop tracking times", file: path)   // see createDataset
        let flags = existing == .overwrite ? myriad_h5f_acc_trunc() : myriad_h5f_acc_excl()
        let fid = try h5check(H5Fcreate(path, flags, fcpl, fapl), "create file", file: path)
        return HDF5File(id: fid, path: path, communicator: communicator)
    }

    /// Opens an existing file. With `communicator` every rank of it opens the file through MPI-IO.
    public static func open(_ path: String, access: Access = .readOnly,
                            communicator: Communicator? = nil) throws -> HDF5File {
        HDF5Library.ensureOpen()
        let fapl = try accessProperties(path: path, communicator: communicator)
        defer { H5Pclose(fapl) }
        let flags = access == .readOnly ? myriad_h5f_acc_rdonly() : myriad_h5f_acc_rdwr()
        let fid = try h5check(H5Fopen(path, flags, fapl), access == .readOnly ? "open file" : "open file for writing",
                              file: path)
        return HDF5File(id: fid, path: path, communicator: communicator)
    }

    /// Writes buffered data and metadata to disk (collective under MPI-IO).
    public func flush() throws {
        try check(H5Fflush(id, H5F_SCOPE_GLOBAL), "flush file")
    }

    private static func accessProperties(path: String, communicator: Communicator?) throws -> hid_t {
        let fapl = try h5check(H5Pcreate(myriad_h5p_file_access()), "create file access properties", file: path)
        if let communicator {
            guard HDF5Library.isParallel else {
                H5Pclose(fapl)
                throw HDF5Error(operation: "open with MPI-IO", file: path, object: nil,
                                reason: "this HDF5 library was built without parallel support; install libhdf5-openmpi-dev")
            }
            do {
                try h5check(myriad_h5p_set_fapl_mpio(fapl, communicator.rawHandle), "use MPI-IO", file: path)
            } catch {
                H5Pclose(fapl)
                throw error
            }
        }
        return fapl
    }
}
