import CHDF5
#if canImport(Glibc)
import Glibc
#endif

/// An HDF5 dataset: an n-dimensional array of one element type.
///
/// Reads and writes take a hyperslab (`offset`, `count` per dimension) and a transfer mode. Under MPI-IO,
/// `.collective` transfers need every rank of the file's communicator to call, each with its own
/// hyperslab (possibly empty); compressed datasets can only be written collectively.
public final class HDF5Dataset: HDF5Location, @unchecked Sendable {
    /// How the ranks of an MPI-IO file take part in a transfer.
    public enum Transfer: Sendable {
        /// Every rank calls; MPI-IO aggregates (required for compressed datasets).
        case collective
        /// Each rank on its own.
        case independent
    }

    /// The extent of each dimension.
    public var shape: [Int] {
        let space = H5Dget_space(id)
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard rank > 0 else { return [] }
        var dims = [hsize_t](repeating: 0, count: rank)
        H5Sget_simple_extent_dims(space, &dims, nil)
        return dims.map { Int($0) }
    }

    /// Number of elements.
    public var elementCount: Int { shape.reduce(1, *) }

    /// The chunk shape, or nil for contiguous storage.
    public var chunks: [Int]? {
        let dcpl = H5Dget_create_plist(id)
        defer { H5Pclose(dcpl) }
        guard H5Pget_layout(dcpl) == H5D_CHUNKED else { return nil }
        var dims = [hsize_t](repeating: 0, count: 32)
        let rank = H5Pget_chunk(dcpl, 32, &dims)
        return rank > 0 ? dims.prefix(Int(rank)).map { Int($0) } : nil
    }

    /// The names of the filters applied to chunks, e.g. ["shuffle", "deflate"].
    public var filters: [String] {
        let dcpl = H5Dget_create_plist(id)
        defer { H5Pclose(dcpl) }
        let n = H5Pget_nfilters(dcpl)
        guard n > 0 else { return [] }
        return (0..<n).map { i in
            var flags: UInt32 = 0
            var elements = 0
            var name = [CChar](repeating: 0, count: 64)
            var config: UInt32 = 0
            let filter = H5Pget_filter2(dcpl, UInt32(i), &flags, &elements, nil, name.count, &name, &config)
            switch filter {
            case H5Z_FILTER_DEFLATE: return "deflate"
            case H5Z_FILTER_SHUFFLE: return "shuffle"
            default: return String(nulTerminated: name)
            }
        }
    }

    /// A short name of the stored element type ("float32", "float64", "int32", "int64", "string", ...).
    public var elementTypeName: String {
        let type = H5Dget_type(id)
        defer { H5Tclose(type) }
        return HDF5Dataset.typeName(type)
    }

    static func typeName(_ type: hid_t) -> String {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_FLOAT: return "float\(size * 8)"
        case H5T_INTEGER: return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + "\(size * 8)"
        case H5T_STRING: return "string"
        case H5T_COMPOUND: return "compound"
        default: return "other"
        }
    }

    // MARK: - Numeric transfers

    /// Writes `values` (C order, `count` product elements) into the hyperslab at `offset` of shape `count`.
    /// Omit both to write the whole dataset.
    public func write<T: HDF5Scalar>(_ values: UnsafeBufferPointer<T>, offset: [Int]? = nil, count: [Int]? = nil,
                                     transfer: Transfer = .independent) throws {
        try transferData(T.self, elements: values.count, offset: offset, count: count, transfer: transfer,
                         operation: "write") { memType, memSpace, fileSpace, dxpl in
            H5Dwrite(id, memType, memSpace, fileSpace, dxpl, values.baseAddress)
        }
    }

    public func write<T: HDF5Scalar>(_ values: [T], offset: [Int]? = nil, count: [Int]? = nil,
                                     transfer: Transfer = .independent) throws {
        try values.withUnsafeBufferPointer { try write($0, offset: offset, count: count, transfer: transfer) }
    }

    /// Reads the hyperslab at `offset` of shape `count` (C order) into `values`. Omit both for the whole dataset.
    public func read<T: HDF5Scalar>(into values: UnsafeMutableBufferPointer<T>, offset: [Int]? = nil,
                                    count: [Int]? = nil, transfer: Transfer = .independent) throws {
        try transferData(T.self, elements: values.count, offset: offset, count: count, transfer: transfer,
                         operation: "read") { memType, memSpace, fileSpace, dxpl in
            H5Dread(id, memType, memSpace, fileSpace, dxpl, values.baseAddress)
        }
    }

    /// Reads the hyperslab at `offset` of shape `count`, or the whole dataset.
    public func read<T: HDF5Scalar>(_ type: T.Type = T.self, offset: [Int]? = nil, count: [Int]? = nil,
                                    transfer: Transfer = .independent) throws -> [T] {
        let n = (count ?? shape).reduce(1, *)
        return try [T](unsafeUninitializedCapacity: n) { buffer, initialised in
            try read(into: buffer, offset: offset, count: count, transfer: transfer)
            initialised = n
        }
    }

    private func transferData<T: HDF5Scalar>(_ type: T.Type, elements: Int, offset: [Int]?, count: [Int]?,
                                             transfer: Transfer, operation: String,
                                             body: (hid_t, hid_t, hid_t, hid_t) -> herr_t) throws {
        let stored = elementTypeName
        guard stored != "string" && stored != "compound" && stored != "other" else {
            throw HDF5ContentError(file: filePath, object: objectPath,
                                   problem: "holds \(stored) elements, cannot \(operation) as \(T.hdf5TypeName)")
        }
        let selection = try Hyperslab(shape: shape, offset: offset, count: count, file: filePath, object: objectPath)
        guard elements == selection.elementCount else {
            throw HDF5ContentError(file: filePath, object: objectPath,
                                   problem: "\(operation) of \(selection.count) = \(selection.elementCount) elements "
                                       + "given a buffer of \(elements)")
        }
        let fileSpace = try check(H5Dget_space(id), "get dataspace")
        defer { H5Sclose(fileSpace) }
        try selection.select(in: fileSpace) { try check($0, "select hyperslab") }
        var memDims = [hsize_t(selection.elementCount)]
        let memSpace = try check(H5Screate_simple(1, &memDims, nil), "create memory dataspace")
        defer { H5Sclose(memSpace) }
        if selection.elementCount == 0 {
            H5Sselect_none(memSpace)
            H5Sselect_none(fileSpace)
        }
        let dxpl = try check(H5Pcreate(myriad_h5p_dataset_xfer()), "create transfer properties")
        defer { H5Pclose(dxpl) }
        if isParallelFile {
            try check(myriad_h5p_set_dxpl_mpio(dxpl, transfer == .collective ? 1 : 0), "set MPI-IO transfer mode")
        }
        try check(body(T.hdf5MemoryType, memSpace, fileSpace, dxpl), operation)
    }

    // MARK: - Strings

    /// Writes all strings of a one-dimensional string dataset.
    public func writeStrings(_ strings: [String]) throws {
        guard shape == [strings.count] else {
            throw HDF5ContentError(file: filePath, object: objectPath,
                                   problem: "has shape \(shape), cannot write \(strings.count) strings")
        }
        let memType = try HDF5StringType.variableUTF8(filePath: filePath, object: objectPath)
        defer { H5Tclose(memType) }
        _ = try withCStringArray(strings) { pointers in
            try check(H5Dwrite(id, memType, myriad_h5s_all(), myriad_h5s_all(), myriad_h5p_default(), pointers),
                      "write strings")
        }
    }

    /// Reads every string of a string dataset (fixed or variable length).
    public func readStrings() throws -> [String] {
        let fileType = H5Dget_type(id)
        defer { H5Tclose(fileType) }
        guard H5Tget_class(fileType) == H5T_STRING else {
            throw HDF5ContentError(file: filePath, object: objectPath,
                                   problem: "holds \(elementTypeName) elements, not strings")
        }
        let space = H5Dget_space(id)
        defer { H5Sclose(space) }
        return try HDF5StringType.readStrings(
            fileType: fileType, count: elementCount, filePath: filePath, object: objectPath,
            read: { H5Dread(id, $0, myriad_h5s_all(), myriad_h5s_all(), myriad_h5p_default(), $1) },
            reclaim: { H5Dvlen_reclaim($0, space, myriad_h5p_default(), $1) })
    }
}

/// Calls `body` with a C array of pointers to NUL-terminated UTF-8 copies of `strings`.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafeRawPointer) throws -> R) rethrows -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return try copies.withUnsafeBufferPointer { try body(UnsafeRawPointer($0.baseAddress!)) }
}
