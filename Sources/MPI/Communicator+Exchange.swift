extension Communicator {
    /// A personalised all-to-all of blocks that need packing: `pack(q, buffer)` fills the
    /// `sendCounts[q]` elements destined for rank q, `unpack(q, buffer)` consumes the `receiveCounts[q]`
    /// elements that came from rank q. For exchanges that are not a transpose of contiguous balanced parts
    /// (`transpose` is: the distributed SHT, the ensemble transpose): the indexed ensemble transpose, whose
    /// members land at arbitrary positions, and the model group's scatter. On one rank it is a plain
    /// pack-then-unpack, without MPI.
    public func exchange<T: MPIScalar>(sendCounts: [Int], receiveCounts: [Int],
                                       pack: (Int, UnsafeMutableBufferPointer<T>) -> Void,
                                       unpack: (Int, UnsafeBufferPointer<T>) -> Void) throws {
        precondition(sendCounts.count == size && receiveCounts.count == size,
                     "exchange: need one send and one receive count per rank (\(size))")
        let sendTotal = sendCounts.reduce(0, +)
        let receiveTotal = receiveCounts.reduce(0, +)
        let sendOffsets = sendCounts.reduce(into: [0]) { $0.append($0.last! + $1) }
        let receiveOffsets = receiveCounts.reduce(into: [0]) { $0.append($0.last! + $1) }
        var send = [T](unsafeUninitializedCapacity: sendTotal) { buffer, n in
            for q in 0..<size {
                pack(q, UnsafeMutableBufferPointer(rebasing: buffer[sendOffsets[q]..<sendOffsets[q + 1]]))
            }
            n = sendTotal
        }
        if size == 1 {
            send.withUnsafeBufferPointer { unpack(0, $0) }
            return
        }
        bytesSent += (sendTotal - sendCounts[rank]) * MemoryLayout<T>.stride
        let received = try [T](unsafeUninitializedCapacity: receiveTotal) { buffer, n in
            try send.withUnsafeBufferPointer { s in
                try alltoallv(send: s, sendCounts: sendCounts, sendDisplacements: Array(sendOffsets.dropLast()),
                              receive: buffer, receiveCounts: receiveCounts,
                              receiveDisplacements: Array(receiveOffsets.dropLast()))
            }
            n = receiveTotal
        }
        send = []
        received.withUnsafeBufferPointer { r in
            for q in 0..<size {
                unpack(q, UnsafeBufferPointer(rebasing: r[receiveOffsets[q]..<receiveOffsets[q + 1]]))
            }
        }
    }
}
