/// The distributed transpose: one axis of an array goes from split over the communicator's ranks to whole
/// on each, while another goes from whole to split (torch-harmonics' `distributed_transpose_azimuth` /
/// `distributed_transpose_polar`: split along one dimension, all-to-all, concatenate along the other).
/// Every exchange of the distributed SHT and the ensemble transpose is one call of it.
extension Communicator {
    /// Moves `split` from whole to split and `gather` from split to whole over the communicator's `P` ranks,
    /// with `splitRange` (the first `n % P` parts one larger; parts may be empty). One `MPI_Alltoallv`.
    ///
    /// Before, on rank r: the array's elements with `gather` index in `splitRange(G, P, r)` and every index of
    /// the other axes, `split` included (`S = source.extents[split]`).
    /// After, on rank r: those with `split` index in `splitRange(S, P, r)` and every index of the other axes,
    /// `gather` included (`G = target.extents[gather]`).
    ///
    /// - source: before, laid out as `sourceLayout` (nil only when this rank's block is empty): the whole
    ///   array's extents except `sourceLayout.extents[gather] == splitRange(G, P, r).count`
    /// - target: after, written at the positions of `targetLayout`, the elements between them untouched (nil only
    ///   when this rank's block is empty): the whole array's extents except
    ///   `targetLayout.extents[split] == splitRange(S, P, r).count`
    /// - split, gather: distinct axes (positions in the layouts' axis lists, which name the same logical axes
    ///   in the same order on both sides, whatever their order in memory)
    ///
    /// Example (the distributed SHT's first step over `w`): rows `[R][nlon/w]` → `[R/w][nlon]` is
    /// `transpose(fields, .rowMajor([R, nlonLocal]), into: full, .rowMajor([rowsLocal, nlon]), split: 0, gather: 1)`.
    ///
    /// The message to rank q is this rank's block restricted to q's part of `split`, dense in row-major order
    /// of the logical axes; it lands in q's part of `gather`. Elements move as bytes: the result is the
    /// source's values bit for bit, whatever their type. Send and receive buffers are the communicator's
    /// `transposeScratch`, kept between calls (collectives on one communicator come from one thread). On one
    /// rank it is a local copy, without MPI.
    public func transpose<T: MPIScalar>(_ source: UnsafePointer<T>?, _ sourceLayout: StridedBlock,
                                        into target: UnsafeMutablePointer<T>?, _ targetLayout: StridedBlock,
                                        split: Int, gather: Int) throws {
        let axes = sourceLayout.extents.count
        precondition(targetLayout.extents.count == axes && split != gather && (0..<axes).contains(split)
                     && (0..<axes).contains(gather),
                     "transpose: split axis \(split), gather axis \(gather) of source \(sourceLayout), target \(targetLayout)")
        let splitExtent = sourceLayout.extents[split], gatherExtent = targetLayout.extents[gather]
        precondition(sourceLayout.extents[gather] == splitRange(gatherExtent, parts: size, index: rank).count
                     && targetLayout.extents[split] == splitRange(splitExtent, parts: size, index: rank).count
                     && (0..<axes).allSatisfy { $0 == split || $0 == gather || sourceLayout.extents[$0] == targetLayout.extents[$0] },
                     "transpose: rank \(rank) of \(size), split axis \(split), gather axis \(gather): source \(sourceLayout) and target \(targetLayout) are not this rank's parts of one array")
        precondition((source != nil || sourceLayout.count == 0) && (target != nil || targetLayout.count == 0),
                     "transpose: no memory for a non-empty source \(sourceLayout) or target \(targetLayout)")

        let elementSize = MemoryLayout<T>.stride
        // Blocks to and from each rank: q's part of `split` here, q's part of `gather` there.
        let outgoing = (0..<size).map { sourceLayout.restricted(split, to: splitRange(splitExtent, parts: size, index: $0)) }
        let incoming = (0..<size).map { targetLayout.restricted(gather, to: splitRange(gatherExtent, parts: size, index: $0)) }
        let sendCounts = outgoing.map(\.block.count), receiveCounts = incoming.map(\.block.count)
        let sendTotal = sendCounts.reduce(0, +), receiveTotal = receiveCounts.reduce(0, +)
        let (send, receive) = transposeScratch.buffers(sendBytes: sendTotal * elementSize,
                                                       receiveBytes: receiveTotal * elementSize)

        var offset = 0
        for (block, start) in outgoing where block.count > 0 {
            block.pack(from: UnsafeRawPointer(source! + start), into: send + offset * elementSize, elementSize: elementSize)
            offset += block.count
        }
        // after this: send holds [q][q's block, row-major]
        if size == 1 {
            if receiveTotal > 0 {
                incoming[0].block.unpack(from: send, into: UnsafeMutableRawPointer(target! + incoming[0].offset),
                                         elementSize: elementSize)
            }
            return
        }
        bytesSent += (sendTotal - sendCounts[rank]) * elementSize
        let sendOffsets = sendCounts.reduce(into: [0]) { $0.append($0.last! + $1) }.dropLast()
        let receiveOffsets = receiveCounts.reduce(into: [0]) { $0.append($0.last! + $1) }.dropLast()
        try alltoallv(send: UnsafeBufferPointer(start: send.assumingMemoryBound(to: T.self), count: sendTotal),
                      sendCounts: sendCounts, sendDisplacements: Array(sendOffsets),
                      receive: UnsafeMutableBufferPointer(start: receive.assumingMemoryBound(to: T.self), count: receiveTotal),
                      receiveCounts: receiveCounts, receiveDisplacements: Array(receiveOffsets))
        // after this: receive holds [q][the block from q, row-major]
        for ((block, start), first) in zip(incoming, receiveOffsets) where block.count > 0 {
            block.unpack(from: receive + first * elementSize, into: UnsafeMutableRawPointer(target! + start),
                         elementSize: elementSize)
        }
    }

    /// `transpose` on arrays: returns the target, dense row-major (`StridedBlock.rowMajor` of the after-extents).
    public func transpose<T: MPIScalar>(_ source: [T], _ sourceLayout: StridedBlock, split: Int, gather: Int,
                                        gatheredExtent: Int) throws -> [T] {
        var extents = sourceLayout.extents
        extents[split] = splitRange(extents[split], parts: size, index: rank).count
        extents[gather] = gatheredExtent
        let targetLayout = StridedBlock.rowMajor(extents)
        return try source.withUnsafeBufferPointer { s in
            precondition(sourceLayout.count == 0 || s.count > zip(sourceLayout.extents, sourceLayout.strides).map { ($0 - 1) * $1 }.reduce(0, +),
                         "transpose: \(s.count) values do not hold the source \(sourceLayout)")
            return try [T](unsafeUninitializedCapacity: targetLayout.count) { out, initialised in
                // Every rank takes part, whether or not its own blocks are empty.
                try transpose(s.baseAddress, sourceLayout, into: out.baseAddress, targetLayout, split: split, gather: gather)
                initialised = targetLayout.count
            }
        }
    }
}
