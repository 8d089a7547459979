import CHDF5

// Attributes on files, groups and datasets: numbers (scalar or one-dimensional) and UTF-8 strings.
// Under MPI-IO, writing an attribute is collective and every rank must pass the same value.

extension HDF5Location {
    /// Writes (replacing any existing) a one-dimensional numeric attribute.
    public func setAttribute<T: HDF5Scalar>(_ name: String, _ values: [T]) throws {
        try replaceAttribute(name)
        var dims = [hsize_t(values.count)]
        let space = try check(H5Screate_simple(1, &dims, nil), "create attribute space", object: attributePath(name))
        defer { H5Sclose(space) }
        try writeAttribute(name, fileType: T.hdf5FileType, space: space) { attr in
            values.withUnsafeBufferPointer { H5Awrite(attr, T.hdf5MemoryType, $0.baseAddress) }
        }
    }

    /// Writes (replacing any existing) a scalar numeric attribute.
    public func setAttribute<T: HDF5Scalar>(_ name: String, _ value: T) throws {
        try replaceAttribute(name)
        let space = try check(H5Screate(H5S_SCALAR), "create attribute space", object: attributePath(name))
        defer { H5Sclose(space) }
        try writeAttribute(name, fileType: T.hdf5FileType, space: space) { attr in
            withUnsafeBytes(of: value) { H5Awrite(attr, T.hdf5MemoryType, $0.baseAddress) }
        }
    }

    /// Writes (replacing any existing) a scalar UTF-8 string attribute, fixed length as netCDF-4 writes
    /// its text attributes.
    public func setAttribute(_ name: String, _ value: String) throws {
        try replaceAttribute(name)
        let bytes = Array(value.utf8)
        let type = try HDF5StringType.fixedUTF8(length: bytes.count, filePath: filePath, object: attributePath(name))
        defer { H5Tclose(type) }
        let space = try check(H5Screate(H5S_SCALAR), "create attribute space", object: attributePath(name))
        defer { H5Sclose(space) }
        try writeAttribute(name, fileType: type, space: space) { attr in
            var padded = bytes.isEmpty ? [0] : bytes
            return H5Awrite(attr, type, &padded)
        }
    }

    /// Whether the object has an attribute of this name.
    public func hasAttribute(_ name: String) -> Bool { H5Aexists(id, name) > 0 }

    /// Reads a numeric attribute (scalar or one-dimensional), converted to `T`.
    public func attribute<T: HDF5Scalar>(_ name: String, as type: T.Type = T.self) throws -> [T] {
        let attr = try openAttribute(name)
        defer { H5Aclose(attr) }
        let fileType = H5Aget_type(attr)
        defer { H5Tclose(fileType) }
        let cls = H5Tget_class(fileType)
        guard cls == H5T_FLOAT || cls == H5T_INTEGER else {
            throw HDF5ContentError(file: filePath, object: attributePath(name),
                                   problem: "is a \(HDF5Dataset.typeName(fileType)) attribute, not a number")
        }
        let space = H5Aget_space(attr)
        defer { H5Sclose(space) }
        let n = Int(H5Sget_simple_extent_npoints(space))
        return try [T](unsafeUninitializedCapacity: n) { buffer, initialised in
            try check(H5Aread(attr, T.hdf5MemoryType, buffer.baseAddress!), "read attribute", object: attributePath(name))
            initialised = n
        }
    }

    /// Reads a string attribute (fixed or variable length, scalar or the first of an array).
    public func attribute(_ name: String) throws -> String {
        let attr = try openAttribute(name)
        defer { H5Aclose(attr) }
        let fileType = H5Aget_type(attr)
        defer { H5Tclose(fileType) }
        guard H5Tget_class(fileType) == H5T_STRING else {
            throw HDF5ContentError(file: filePath, object: attributePath(name),
                                   problem: "is a \(HDF5Dataset.typeName(fileType)) attribute, not a string")
        }
        let space = H5Aget_space(attr)
        defer { H5Sclose(space) }
        let n = max(1, Int(H5Sget_simple_extent_npoints(space)))
        let strings = try HDF5StringType.readStrings(
            fileType: fileType, count: n, filePath: filePath, object: attributePath(name),
            read: { H5Aread(attr, $0, $1) },
            reclaim: { H5Dvlen_reclaim($0, space, myriad_h5p_default(), $1) })
        return strings.first ?? ""
    }

    /// Names of all attributes, in creation order where tracked.
    public func attributeNames() throws -> [String] {
        var info = H5O_info_t()
        try check(H5Oget_info2(id, &info, UInt32(H5O_INFO_NUM_ATTRS)), "inspect attributes")
        return try (0..<info.num_attrs).map { i in
            let size = H5Aget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, myriad_h5p_default())
            try check(size, "read attribute name")
            var name = [CChar](repeating: 0, count: size + 1)
            H5Aget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, &name, size + 1, myriad_h5p_default())
            return String(nulTerminated: name)
        }
    }

    // MARK: - Helpers

    private func attributePath(_ name: String) -> String { "\(objectPath)@\(name)" }

    private func openAttribute(_ name: String) throws -> hid_t {
        guard hasAttribute(name) else {
            throw HDF5ContentError(file: filePath, object: attributePath(name), problem: "no such attribute")
        }
        return try check(H5Aopen(id, name, myriad_h5p_default()), "open attribute", object: attributePath(name))
    }

    private func replaceAttribute(_ name: String) throws {
        if hasAttribute(name) {
            try check(H5Adelete(id, name), "replace attribute", object: attributePath(name))
        }
    }

    private func writeAttribute(_ name: String, fileType: hid_t, space: hid_t, write: (hid_t) -> herr_t) throws {
        let attr = try check(H5Acreate2(id, name, fileType, space, myriad_h5p_default(), myriad_h5p_default()),
                             "create attribute", object: attributePath(name))
        defer { H5Aclose(attr) }
        try check(write(attr), "write attribute", object: attributePath(name))
    }
}
