import CHDF5

/// An HDF5 group: a folder of groups and datasets.
public class HDF5Group: HDF5Location, @unchecked Sendable {
    // MARK: - Groups

    /// Creates a child group (collective under MPI-IO). Link and attribute creation order are tracked,
    /// as netCDF-4 requires.
    public func createGroup(_ name: String) throws -> HDF5Group {
        let path = childPath(name)
        let gcpl = try check(H5Pcreate(myriad_h5p_group_create()), "create group properties", object: path)
        defer { H5Pclose(gcpl) }
        let order = myriad_h5p_crt_order_tracked() | myriad_h5p_crt_order_indexed()
        try check(H5Pset_link_creation_order(gcpl, order), "track link order", object: path)
        try check(H5Pset_attr_creation_order(gcpl, order), "track attribute order", object: path)
        try check(H5Pset_obj_track_times(gcpl, false), "stop tracking times", object: path)   // see createDataset
        let gid = try check(H5Gcreate2(id, name, myriad_h5p_default(), gcpl, myriad_h5p_default()),
                            "create group", object: path)
        return HDF5Group(id: gid, filePath: filePath, objectPath: path, isParallelFile: isParallelFile, isSharedByRanks: isSharedByRanks, close: H5Gclose)
    }

    /// Opens a child group.
    public func openGroup(_ name: String) throws -> HDF5Group {
        let path = childPath(name)
        guard contains(name) else {
            throw HDF5ContentError(file: filePath, object: path, problem: "no such group")
        }
        let gid = try check(H5Gopen2(id, name, myriad_h5p_default()), "open group", object: path)
        return HDF5Group(id: gid, filePath: filePath, objectPath: path, isParallelFile: isParallelFile, isSharedByRanks: isSharedByRanks, close: H5Gclose)
    }

    /// Whether a link of this name exists in the group (one level; no nested paths).
    public func contains(_ name: String) -> Bool {
        H5Lexists(id, name, myriad_h5p_default()) > 0
    }

    /// Names of the group's members, in creation order where tracked, else by name.
    public func memberNames() throws -> [String] {
        final class Names { var items: [String] = [] }
        let names = Names()
        var index: hsize_t = 0
        let visit: H5L_iterate_t = { _, name, _, data in
            guard let name, let data else { return 0 }
            Unmanaged<Names>.fromOpaque(data).takeUnretainedValue().items.append(String(cString: name))
            return 0
        }
        _ = try withExtendedLifetime(names) {
            try check(H5Literate(id, H5_INDEX_NAME, H5_ITER_INC, &index, visit,
                                 Unmanaged.passUnretained(names).toOpaque()), "list members")
        }
        return names.items
    }

    // MARK: - Datasets

    /// Creates a dataset of `T` with the given shape (collective under MPI-IO: same arguments on every
    /// rank). `fillValue` is what unwritten elements read as (netCDF's `_FillValue`).
    public func createDataset<T: HDF5Scalar>(_ name: String, of type: T.Type, shape: [Int],
                                             options: DatasetOptions = DatasetOptions(),
                                             fillValue: T? = nil) throws -> HDF5Dataset {
        try createDataset(name, fileType: T.hdf5FileType, shape: shape, options: options) { dcpl in
            guard let value = fillValue else { return 0 }
            return withUnsafeBytes(of: value) { H5Pset_fill_value(dcpl, T.hdf5MemoryType, $0.baseAddress) }
        }
    }

    /// Creates a one-dimensional dataset of variable-length UTF-8 strings.
    public func createStringDataset(_ name: String, count: Int) throws -> HDF5Dataset {
        let type = try HDF5StringType.variableUTF8(filePath: filePath, object: childPath(name))
        defer { H5Tclose(type) }
        return try createDataset(name, fileType: type, shape: [count], options: DatasetOptions()) { _ in 0 }
    }

    private func createDataset(_ name: String, fileType: hid_t, shape: [Int], options: DatasetOptions,
                               setFillValue: (hid_t) -> herr_t) throws -> HDF5Dataset {
        let path = childPath(name)
        try options.validate(shape: shape, file: filePath, object: path)
        var dims = shape.map { hsize_t($0) }
        let space = try check(H5Screate_simple(Int32(dims.count), &dims, nil), "create dataspace", object: path)
        defer { H5Sclose(space) }
        let dcpl = try check(H5Pcreate(myriad_h5p_dataset_create()), "create dataset properties", object: path)
        defer { H5Pclose(dcpl) }
        if let chunks = options.chunks {
            var chunkDims = chunks.map { hsize_t($0) }
            try check(H5Pset_chunk(dcpl, Int32(chunkDims.count), &chunkDims), "set chunking", object: path)
            if options.shuffle { try check(H5Pset_shuffle(dcpl), "set shuffle filter", object: path) }
            if let level = options.deflateLevel {
                try check(H5Pset_deflate(dcpl, UInt32(level)), "set deflate filter", object: path)
            }
        }
        let order = myriad_h5p_crt_order_tracked() | myriad_h5p_crt_order_indexed()
        try check(H5Pset_attr_creation_order(dcpl, order), "track attribute order", object: path)
        try check(setFillValue(dcpl), "set fill value", object: path)
        // No modification times in the object headers: the same data makes the same file, byte for byte,
        // whatever the rank count or the day (ensemble outputs are compared with cmp).
        try check(H5Pset_obj_track_times(dcpl, false), "stop tracking times", object: path)
        let did = try check(H5Dcreate2(id, name, fileType, space, myriad_h5p_default(), dcpl, myriad_h5p_default()),
                            "create dataset", object: path)
        return HDF5Dataset(id: did, filePath: filePath, objectPath: path, isParallelFile: isParallelFile, isSharedByRanks: isSharedByRanks, close: H5Dclose)
    }

    /// Opens a child dataset.
    public func openDataset(_ name: String) throws -> HDF5Dataset {
        let path = childPath(name)
        guard contains(name) else {
            throw HDF5ContentError(file: filePath, object: path, problem: "no such dataset")
        }
        let did = try check(H5Dopen2(id, name, myriad_h5p_default()), "open dataset", object: path)
        return HDF5Dataset(id: did, filePath: filePath, objectPath: path, isParallelFile: isParallelFile, isSharedByRanks: isSharedByRanks, close: H5Dclose)
    }
}

/// How a new dataset is stored.
public struct DatasetOptions: Sendable {
    /// Chunk shape (same rank as the dataset), or nil for contiguous storage.
    public var chunks: [Int]?
    /// zlib level 1–9 (needs chunks), or nil for none.
    public var deflateLevel: Int?
    /// Byte shuffle before deflate (better compression of floats).
    public var shuffle: Bool

    public init(chunks: [Int]? = nil, deflateLevel: Int? = nil, shuffle: Bool = false) {
        self.chunks = chunks
        self.deflateLevel = deflateLevel
        self.shuffle = shuffle
    }

    func validate(shape: [Int], file: String, object: String) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw HDF5ContentError(file: file, object: object, problem: "negative extent in shape \(shape)")
        }
        if let chunks {
            guard chunks.count == shape.count, chunks.allSatisfy({ $0 > 0 }) else {
                throw HDF5ContentError(file: file, object: object,
                                       problem: "chunk shape \(chunks) does not fit dataset shape \(shape)")
            }
        }
        if let level = deflateLevel {
            guard chunks != nil else {
                throw HDF5ContentError(file: file, object: object, problem: "deflate needs a chunk shape")
            }
            guard (1...9).contains(level) else {
                throw HDF5ContentError(file: file, object: object, problem: "deflate level \(level) is not in 1...9")
            }
        }
    }
}

// MARK: - Removing

extension HDF5Group {
    /// Unlinks a child group or dataset (its space is not reclaimed in the file).
    public func removeMember(_ name: String) throws {
        let path = childPath(name)
        guard contains(name) else {
            throw HDF5ContentError(file: filePath, object: path, problem: "no such member")
        }
        try check(H5Ldelete(id, name, myriad_h5p_default()), "remove", object: path)
    }
}
