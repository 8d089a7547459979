import CHDF5

/// HDF5 string types: variable-length UTF-8 (what netCDF-4 and h5py write for `str`).
enum HDF5StringType {
    static func variableUTF8(filePath: String, object: String) throws -> hid_t {
        let type = try h5check(H5Tcopy(myriad_h5t_c_s1()), "make string type", file: filePath, object: object)
        do {
            try h5check(H5Tset_size(type, myriad_h5t_variable()), "make string type", file: filePath, object: object)
            try h5check(H5Tset_cset(type, H5T_CSET_UTF8), "make string type", file: filePath, object: object)
        } catch {
            H5Tclose(type)
            throw error
        }
        return type
    }

    /// Fixed-length UTF-8 strings of `length` bytes, null-padded.
    static func fixedUTF8(length: Int, filePath: String, object: String) throws -> hid_t {
        let type = try h5check(H5Tcopy(myriad_h5t_c_s1()), "make string type", file: filePath, object: object)
        do {
            try h5check(H5Tset_size(type, max(1, length)), "make string type", file: filePath, object: object)
            try h5check(H5Tset_strpad(type, H5T_STR_NULLPAD), "make string type", file: filePath, object: object)
            try h5check(H5Tset_cset(type, H5T_CSET_UTF8), "make string type", file: filePath, object: object)
        } catch {
            H5Tclose(type)
            throw error
        }
        return type
    }

    /// Reads strings stored with `fileType` (fixed or variable length) through `read`, which receives the
    /// memory type and a buffer to fill. `count` is the number of strings.
    static func readStrings(fileType: hid_t, count: Int, filePath: String, object: String,
                            read: (hid_t, UnsafeMutableRawPointer) -> herr_t,
                            reclaim: (hid_t, UnsafeMutableRawPointer) -> Void) throws -> [String] {
        if H5Tis_variable_str(fileType) > 0 {
            let memType = try variableUTF8(filePath: filePath, object: object)
            defer { H5Tclose(memType) }
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            return try pointers.withUnsafeMutableBytes { raw in
                guard let base = raw.baseAddress else { return [] }
                try h5check(read(memType, base), "read strings", file: filePath, object: object)
                defer { reclaim(memType, base) }
                return raw.bindMemory(to: UnsafeMutablePointer<CChar>?.self).map { $0.map { String(cString: $0) } ?? "" }
            }
        }
        let length = H5Tget_size(fileType)
        let memType = try fixedUTF8(length: length, filePath: filePath, object: object)
        defer { H5Tclose(memType) }
        var bytes = [UInt8](repeating: 0, count: max(1, length * count))
        _ = try bytes.withUnsafeMutableBytes { raw in
            try h5check(read(memType, raw.baseAddress!), "read strings", file: filePath, object: object)
        }
        return (0..<count).map { i in
            let slice = bytes[(i * length)..<((i + 1) * length)]
            return String(decoding: slice.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}

extension String {
    /// Decodes a NUL-terminated C character buffer as UTF-8.
    init(nulTerminated buffer: [CChar]) {
        self = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
