import MPI

/// The exact distributed "ensemble transpose": from members split over the ranks of an ensemble
/// communicator (each rank holds whole fields of its members) to grid points split over the same ranks
/// (each rank holds every member at a slab of points), so that scores needing all members at a point
/// (CRPS, ranks, quantiles, outliers) are exact for any ensemble size.
///
/// Distribution scheme, `P` ranks, `M` members, `N` points:
/// 1. before: rank r holds members `splitRange(M, P, r)` as `[member][point]` (all N points);
/// 2. one distributed transpose (`Communicator.transpose`, i.e. `MPI_Alltoallv`): rank r sends rank q its members'
///    values at q's slab `splitRange(N, P, q)`;
/// 3. after: rank r holds `[point][member]` for its slab — all M members of a point contiguous, in
///    member order, ready to sort.
///
/// Memory: this is the one buffer of the statistics that grows with M: `M × N/P` float32 values on the
/// receiving side (plus the send buffer, the size of the rank's own members, `M/P × N`; both are the
/// communicator's transpose buffers, kept for the next lead). With P ranks the total is the size of one
/// ensemble field, whatever P. Uneven splits follow `splitSizes`.
public struct EnsembleTranspose: Sendable {
    public let memberCount: Int
    public let pointCount: Int
    public let ranks: Int
    public let rank: Int

    public init(memberCount: Int, pointCount: Int, ranks: Int, rank: Int) {
        precondition(memberCount > 0 && pointCount >= 0 && ranks > 0 && rank >= 0 && rank < ranks,
                     "EnsembleTranspose: invalid sizes M \(memberCount), N \(pointCount), rank \(rank) of \(ranks)")
        self.memberCount = memberCount
        self.pointCount = pointCount
        self.ranks = ranks
        self.rank = rank
    }

    /// The members this rank holds before the transpose.
    public var localMembers: Range<Int> { splitRange(memberCount, parts: ranks, index: rank) }
    /// The points this rank holds after the transpose.
    public var localPoints: Range<Int> { splitRange(pointCount, parts: ranks, index: rank) }

    /// Members → point slabs. - local: [localMembers.count][pointCount]; returns [localPoints.count][memberCount].
    public func forward(_ local: [Float], over communicator: Communicator) throws -> [Float] {
        precondition(communicator.size == ranks && communicator.rank == rank,
                     "EnsembleTranspose: planned for rank \(rank) of \(ranks), called on \(communicator.rank) of \(communicator.size)")
        let mine = localMembers
        precondition(local.count == mine.count * pointCount,
                     "EnsembleTranspose.forward: \(local.count) values, expected \(mine.count) members × \(pointCount) points")
        let slab = localPoints
        var result = [Float](repeating: 0, count: slab.count * memberCount)
        // The members axis goes from split to whole, the points axis from whole to split; the result holds the
        // logical [member][slab point] array point-major.
        try local.withUnsafeBufferPointer { source in
            try result.withUnsafeMutableBufferPointer { target in
                try communicator.transpose(source.baseAddress, .rowMajor([mine.count, pointCount]),
                                           into: target.baseAddress,
                                           StridedBlock(extents: [memberCount, slab.count], strides: [1, memberCount]),
                                           split: 1, gather: 0)
            }
        }
        // after this: [slab point][member], all members of each local point
        return result
    }
}
