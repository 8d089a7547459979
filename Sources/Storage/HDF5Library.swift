import CHDF5

/// The HDF5 library: opened once, with its automatic error printing switched off so that every
/// failure reaches the user once, as a Swift error naming the file and the object.
public enum HDF5Library {
    private static let opened: Bool = {
        H5open()
        H5Eset_auto2(myriad_h5e_default(), nil, nil)
        return true
    }()

    /// Opens the library (idempotent; every entry point of `Storage` calls it).
    static func ensureOpen() { precondition(opened) }

    /// e.g. "1.10.8".
    public static var version: String {
        ensureOpen()
        var major: UInt32 = 0
        var minor: UInt32 = 0
        var release: UInt32 = 0
        H5get_libversion(&major, &minor, &release)
        return "\(major).\(minor).\(release)"
    }

    /// Whether this HDF5 build has MPI-IO (parallel HDF5).
    public static var isParallel: Bool { myriad_h5_have_parallel() != 0 }

    /// The outermost and innermost descriptions on HDF5's current error stack, e.g.
    /// "unable to create file (… errno = 2, error message = 'No such file or directory')".
    static func currentErrorReason() -> String {
        final class Messages { var items: [String] = [] }
        let messages = Messages()
        let walker: H5E_walk2_t = { _, error, data in
            guard let error, let data else { return 0 }
            let box = Unmanaged<Messages>.fromOpaque(data).takeUnretainedValue()
            if let desc = error.pointee.desc { box.items.append(String(cString: desc)) }
            return 0
        }
        withExtendedLifetime(messages) {
            _ = H5Ewalk2(myriad_h5e_default(), H5E_WALK_DOWNWARD, walker,
                         Unmanaged.passUnretained(messages).toOpaque())
        }
        H5Eclear2(myriad_h5e_default())
        let items = messages.items.filter { !$0.isEmpty }
        guard let first = items.first else { return "unknown HDF5 error" }
        guard let last = items.last, items.count > 1, last != first else { return first }
        return "\(first) (\(last))"
    }
}
