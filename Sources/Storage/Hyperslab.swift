import CHDF5

/// A rectangular block of a dataset: `offset` and `count` per dimension, checked against its shape.
struct Hyperslab {
    let offset: [Int]
    let count: [Int]

    var elementCount: Int { count.reduce(1, *) }

    /// The whole dataset when both are nil.
    init(shape: [Int], offset: [Int]?, count: [Int]?, file: String, object: String) throws {
        let offset = offset ?? [Int](repeating: 0, count: shape.count)
        let count = count ?? shape
        guard offset.count == shape.count, count.count == shape.count else {
            throw HDF5ContentError(file: file, object: object,
                                   problem: "selection offset \(offset) / count \(count) does not match its \(shape.count) dimensions \(shape)")
        }
        for d in 0..<shape.count where offset[d] < 0 || count[d] < 0 || offset[d] + count[d] > shape[d] {
            throw HDF5ContentError(file: file, object: object,
                                   problem: "selection offset \(offset) count \(count) lies outside the shape \(shape)")
        }
        self.offset = offset
        self.count = count
    }

    /// Selects the block in `space` (nothing when the block is empty).
    func select(in space: hid_t, check: (herr_t) throws -> Void) throws {
        guard elementCount > 0 else {
            try check(H5Sselect_none(space))
            return
        }
        guard !offset.isEmpty else { return }  // scalar dataspace: all
        var start = offset.map { hsize_t($0) }
        var block = count.map { hsize_t($0) }
        try check(H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, nil, &block, nil))
    }
}
