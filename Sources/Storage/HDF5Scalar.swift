import CHDF5

/// A Swift element type stored in HDF5: its in-memory type and the (little-endian IEEE / two's
/// complement) type written to files.
public protocol HDF5Scalar: Sendable {
    static var hdf5MemoryType: hid_t { get }
    static var hdf5FileType: hid_t { get }
    /// A short name for messages, e.g. "float32".
    static var hdf5TypeName: String { get }
}

extension Float: HDF5Scalar {
    public static var hdf5MemoryType: hid_t { myriad_h5t_native_float() }
    public static var hdf5FileType: hid_t { myriad_h5t_ieee_f32le() }
    public static var hdf5TypeName: String { "float32" }
}
extension Double: HDF5Scalar {
    public static var hdf5MemoryType: hid_t { myriad_h5t_native_double() }
    public static var hdf5FileType: hid_t { myriad_h5t_ieee_f64le() }
    public static var hdf5TypeName: String { "float64" }
}
extension Int32: HDF5Scalar {
    public static var hdf5MemoryType: hid_t { myriad_h5t_native_int32() }
    public static var hdf5FileType: hid_t { myriad_h5t_std_i32le() }
    public static var hdf5TypeName: String { "int32" }
}
extension Int64: HDF5Scalar {
    public static var hdf5MemoryType: hid_t { myriad_h5t_native_int64() }
    public static var hdf5FileType: hid_t { myriad_h5t_std_i64le() }
    public static var hdf5TypeName: String { "int64" }
}
extension UInt8: HDF5Scalar {
    public static var hdf5MemoryType: hid_t { myriad_h5t_native_uint8() }
    public static var hdf5FileType: hid_t { myriad_h5t_std_u8le() }
    public static var hdf5TypeName: String { "uint8" }
}
