import CMPI

// Typed collectives. Each comes as an array method (convenient, allocates the result) and, where hot
// paths need it, a buffer-pointer method (no allocation). Counts are in elements of `T`; every rank
// must call the same collective with matching counts, as MPI requires.

extension Communicator {
    // MARK: - Broadcast

    /// Replaces `buffer` on every rank by root's. All ranks pass buffers of the same count.
    public func broadcast<T: MPIScalar>(_ buffer: inout [T], root: Int = 0) throws {
        try buffer.withUnsafeMutableBufferPointer { try broadcast($0, root: root) }
    }

    public func broadcast<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int = 0) throws {
        try check(MPI_Bcast(buffer.baseAddress, try mpiCount(buffer.count, "MPI_Bcast"), T.mpiDatatype,
                            Int32(root), handle), "MPI_Bcast")
    }

    /// Root's value of a single scalar on every rank.
    public func broadcast<T: MPIScalar>(_ value: T, root: Int = 0) throws -> T {
        var buffer = [value]
        try broadcast(&buffer, root: root)
        return buffer[0]
    }

    /// Root's string on every rank (other ranks' arguments are ignored).
    public func broadcast(_ text: String, root: Int = 0) throws -> String {
        var bytes = rank == root ? Array(text.utf8) : []
        let count = try broadcast(Int64(bytes.count), root: root)
        if rank != root { bytes = [UInt8](repeating: 0, count: Int(count)) }
        try broadcast(&bytes, root: root)
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Reduce

    /// Element-wise reduction of every rank's `values` onto `root`. Returns the result on root and
    /// an empty array elsewhere.
    public func reduce<T: MPIScalar>(_ values: [T], _ operation: ReductionOperation, root: Int = 0) throws -> [T] {
        var result = [T]()
        try values.withUnsafeBufferPointer { send in
            if rank == root {
                result = try [T](unsafeUninitializedCapacity: values.count) { out, initialised in
                    try check(MPI_Reduce(send.baseAddress, out.baseAddress, try mpiCount(send.count, "MPI_Reduce"),
                                         T.mpiDatatype, operation.handle, Int32(root), handle), "MPI_Reduce")
                    initialised = values.count
                }
            } else {
                try check(MPI_Reduce(send.baseAddress, nil, try mpiCount(send.count, "MPI_Reduce"),
                                     T.mpiDatatype, operation.handle, Int32(root), handle), "MPI_Reduce")
            }
        }
        return result
    }

    /// Element-wise reduction over all ranks, result on every rank, in place.
    public func allreduce<T: MPIScalar>(_ buffer: inout [T], _ operation: ReductionOperation) throws {
        try buffer.withUnsafeMutableBufferPointer { try allreduce($0, operation) }
    }

    /// Element-wise reduction over all ranks, in place on a buffer (no allocation).
    public func allreduce<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, _ operation: ReductionOperation) throws {
        bytesSent += 2 * (size - 1) * buffer.count * MemoryLayout<T>.stride / size
        try check(MPI_Allreduce(myriad_mpi_in_place(), buffer.baseAddress,
                                try mpiCount(buffer.count, "MPI_Allreduce"), T.mpiDatatype,
                                operation.handle, handle), "MPI_Allreduce")
    }

    /// Element-wise reduction over all ranks of `values`, returned on every rank.
    public func allreduced<T: MPIScalar>(_ values: [T], _ operation: ReductionOperation) throws -> [T] {
        var buffer = values
        try allreduce(&buffer, operation)
        return buffer
    }

    /// Reduction of one scalar over all ranks.
    public func allreduced<T: MPIScalar>(_ value: T, _ operation: ReductionOperation) throws -> T {
        try allreduced([value], operation)[0]
    }

    // MARK: - Gather

    /// Every rank's `values` (all of the same count) concatenated in rank order on `root`; empty elsewhere.
    public func gather<T: MPIScalar>(_ values: [T], root: Int = 0) throws -> [T] {
        let n = try mpiCount(values.count, "MPI_Gather")
        let total = rank == root ? values.count * size : 0
        return try values.withUnsafeBufferPointer { send in
            try [T](unsafeUninitializedCapacity: total) { out, initialised in
                try check(MPI_Gather(send.baseAddress, n, T.mpiDatatype, out.baseAddress, n, T.mpiDatatype,
                                     Int32(root), handle), "MPI_Gather")
                initialised = total
            }
        }
    }

    /// Every rank's `values` (counts may differ) concatenated in rank order on `root`, with the counts;
    /// empty elsewhere.
    public func gatherv<T: MPIScalar>(_ values: [T], root: Int = 0) throws -> (values: [T], counts: [Int]) {
        let counts = try gather([Int64(values.count)], root: root).map { Int($0) }
        let displacements = try exclusivePrefixSum(counts, "MPI_Gatherv")
        let total = counts.reduce(0, +)
        let counts32 = try counts.map { try mpiCount($0, "MPI_Gatherv") }
        let result = try values.withUnsafeBufferPointer { send in
            try [T](unsafeUninitializedCapacity: total) { out, initialised in
                try check(MPI_Gatherv(send.baseAddress, try mpiCount(send.count, "MPI_Gatherv"), T.mpiDatatype,
                                      out.baseAddress, counts32, displacements, T.mpiDatatype,
                                      Int32(root), handle), "MPI_Gatherv")
                initialised = total
            }
        }
        return (result, counts)
    }

    /// Every rank's `values` (all of the same count) concatenated in rank order, on every rank.
    public func allgather<T: MPIScalar>(_ values: [T]) throws -> [T] {
        bytesSent += (size - 1) * values.count * MemoryLayout<T>.stride
        return try allgatherUncounted(values)
    }

    private func allgatherUncounted<T: MPIScalar>(_ values: [T]) throws -> [T] {
        let n = try mpiCount(values.count, "MPI_Allgather")
        let total = values.count * size
        return try values.withUnsafeBufferPointer { send in
            try [T](unsafeUninitializedCapacity: total) { out, initialised in
                try check(MPI_Allgather(send.baseAddress, n, T.mpiDatatype, out.baseAddress, n, T.mpiDatatype,
                                        handle), "MPI_Allgather")
                initialised = total
            }
        }
    }

    /// Every rank's `values` (counts may differ) concatenated in rank order, with the counts, on every rank.
    public func allgatherv<T: MPIScalar>(_ values: [T]) throws -> (values: [T], counts: [Int]) {
        bytesSent += (size - 1) * values.count * MemoryLayout<T>.stride
        let counts = try allgatherUncounted([Int64(values.count)]).map { Int($0) }
        let displacements = try exclusivePrefixSum(counts, "MPI_Allgatherv")
        let total = counts.reduce(0, +)
        let counts32 = try counts.map { try mpiCount($0, "MPI_Allgatherv") }
        let result = try values.withUnsafeBufferPointer { send in
            try [T](unsafeUninitializedCapacity: total) { out, initialised in
                try check(MPI_Allgatherv(send.baseAddress, try mpiCount(send.count, "MPI_Allgatherv"), T.mpiDatatype,
                                         out.baseAddress, counts32, displacements, T.mpiDatatype, handle),
                          "MPI_Allgatherv")
                initialised = total
            }
        }
        return (result, counts)
    }

    // MARK: - All-to-all

    /// Block `j` of `values` (count / size elements) goes to rank `j`; block `j` of the result came from rank `j`.
    public func alltoall<T: MPIScalar>(_ values: [T]) throws -> [T] {
        precondition(values.count % size == 0, "alltoall: \(values.count) elements do not split into \(size) blocks")
        let block = try mpiCount(values.count / size, "MPI_Alltoall")
        return try values.withUnsafeBufferPointer { send in
            try [T](unsafeUninitializedCapacity: values.count) { out, initialised in
                try check(MPI_Alltoall(send.baseAddress, block, T.mpiDatatype, out.baseAddress, block, T.mpiDatatype,
                                       handle), "MPI_Alltoall")
                initialised = values.count
            }
        }
    }

    /// The first `sendCounts[0]` elements go to rank 0, the next `sendCounts[1]` to rank 1, and so on;
    /// the result holds `receiveCounts[j]` elements from each rank `j`, in rank order.
    public func alltoallv<T: MPIScalar>(_ values: [T], sendCounts: [Int], receiveCounts: [Int]) throws -> [T] {
        precondition(sendCounts.count == size && receiveCounts.count == size,
                     "alltoallv: need one send and one receive count per rank (\(size))")
        precondition(sendCounts.reduce(0, +) == values.count,
                     "alltoallv: send counts add up to \(sendCounts.reduce(0, +)), not \(values.count)")
        let total = receiveCounts.reduce(0, +)
        let sendDisplacements = try exclusivePrefixSum(sendCounts, "MPI_Alltoallv").map(Int.init)
        let receiveDisplacements = try exclusivePrefixSum(receiveCounts, "MPI_Alltoallv").map(Int.init)
        return try values.withUnsafeBufferPointer { send in
            try [T](unsafeUninitializedCapacity: total) { out, initialised in
                try alltoallv(send: send, sendCounts: sendCounts, sendDisplacements: sendDisplacements,
                              receive: out, receiveCounts: receiveCounts, receiveDisplacements: receiveDisplacements)
                initialised = total
            }
        }
    }

    /// All-to-all with explicit counts and displacements (in elements), on caller-owned buffers.
    public func alltoallv<T: MPIScalar>(send: UnsafeBufferPointer<T>, sendCounts: [Int], sendDisplacements: [Int],
                                        receive: UnsafeMutableBufferPointer<T>, receiveCounts: [Int],
                                        receiveDisplacements: [Int]) throws {
        let sc = try sendCounts.map { try mpiCount($0, "MPI_Alltoallv") }
        let sd = try sendDisplacements.map { try mpiCount($0, "MPI_Alltoallv") }
        let rc = try receiveCounts.map { try mpiCount($0, "MPI_Alltoallv") }
        let rd = try receiveDisplacements.map { try mpiCount($0, "MPI_Alltoallv") }
        try check(MPI_Alltoallv(send.baseAddress, sc, sd, T.mpiDatatype, receive.baseAddress, rc, rd, T.mpiDatatype,
                                handle), "MPI_Alltoallv")
    }

    // MARK: - Point to point

    /// Sends `values` to `destination` and receives `receiveCount` elements from `source` in one call
    /// (deadlock-free for rings and pairwise exchanges).
    public func sendReceive<T: MPIScalar>(_ values: [T], to destination: Int, receiveCount: Int, from source: Int,
                                          tag: Int = 0) throws -> [T] {
        try values.withUnsafeBufferPointer { send in
            try [T](unsafeUninitializedCapacity: receiveCount) { out, initialised in
                try check(MPI_Sendrecv(send.baseAddress, try mpiCount(send.count, "MPI_Sendrecv"), T.mpiDatatype,
                                       Int32(destination), Int32(tag),
                                       out.baseAddress, try mpiCount(receiveCount, "MPI_Sendrecv"), T.mpiDatatype,
                                       Int32(source), Int32(tag), handle, myriad_mpi_status_ignore()), "MPI_Sendrecv")
                initialised = receiveCount
            }
        }
    }
}

/// Displacements of consecutive blocks of the given counts, as MPI's `int`.
func exclusivePrefixSum(_ counts: [Int], _ function: String) throws -> [Int32] {
    var displacements = [Int32]()
    displacements.reserveCapacity(counts.count)
    var offset = 0
    for c in counts {
        displacements.append(try mpiCount(offset, function))
        offset += c
    }
    return displacements
}
