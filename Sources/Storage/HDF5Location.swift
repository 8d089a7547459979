import CHDF5

/// An open HDF5 object (file, group or dataset) that can carry attributes. Closed on deinit.
public class HDF5Location: @unchecked Sendable {
    let id: hid_t
    /// The file's path on disk, for messages.
    public let filePath: String
    /// The object's path inside the file ("/" for the root).
    public let objectPath: String
    /// Whether the file is open through MPI-IO (transfers then choose collective or independent).
    let isParallelFile: Bool
    private let close: (hid_t) -> herr_t

    init(id: hid_t, filePath: String, objectPath: String, isParallelFile: Bool, close: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.filePath = filePath
        self.objectPath = objectPath
        self.isParallelFile = isParallelFile
        self.close = close
    }

    deinit { _ = close(id) }

    func childPath(_ name: String) -> String { objectPath == "/" ? "/\(name)" : "\(objectPath)/\(name)" }

    @discardableResult
    func check<R: BinaryInteger>(_ result: R, _ operation: @autoclosure () -> String, object: String? = nil) throws -> R {
        try h5check(result, operation(), file: filePath, object: object ?? objectPath)
    }
}
