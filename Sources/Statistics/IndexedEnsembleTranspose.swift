import MPI

/// The ensemble transpose for members of arbitrary ensemble indices on arbitrary ranks (the runner groups
/// members by checkpoint, so rank r may hold indices 5…9 of one initial time and 0…3 of another): every
/// rank knows every rank's indices (one allgatherv, or given), and the slab receives all members in
/// ensemble-index order, whatever the layout.
///
/// Distribution scheme, `P` ranks, `M` members, grid `nlat × nlon`:
/// 1. before: rank q holds the members `indices[q]` (any order, disjoint over q), whole fields `[member][point]`;
/// 2. one all-to-all (`Communicator.exchange`): rank r sends rank q its members' values at q's rows
///    `splitRange(nlat, P, q)` (whole latitude rows, so that each slab is one hyperslab of the files);
/// 3. after: rank r holds `[point][member]` for its rows, the members in ascending ensemble index.
///
/// Memory: `M × N/P` float32 received plus the rank's own members' values sent — the one buffer that grows
/// with M — and the `M` indices.
public struct IndexedEnsembleTranspose: Sendable {
    public let nlat: Int
    public let nlon: Int
    public let ranks: Int
    public let rank: Int
    /// Every rank's ensemble indices, in the order each passes its members.
    public let indices: [[Int]]
    /// All indices, ascending: the member order of the slab.
    public let sortedIndices: [Int]
    /// For each rank, the slab position of each of its members.
    private let positions: [[Int]]

    public var memberCount: Int { sortedIndices.count }
    public var pointCount: Int { nlat * nlon }
    /// The latitude rows this rank holds after the transpose.
    public var localRows: Range<Int> { splitRange(nlat, parts: ranks, index: rank) }
    public var localPoints: Range<Int> { (localRows.lowerBound * nlon)..<(localRows.upperBound * nlon) }

    /// With every rank's indices known (e.g. from one allgatherv for several transposes).
    public init(indices: [[Int]], rank: Int, nlat: Int, nlon: Int) {
        precondition(!indices.isEmpty && rank >= 0 && rank < indices.count && nlat > 0 && nlon > 0,
                     "IndexedEnsembleTranspose: rank \(rank) of \(indices.count), grid \(nlat) × \(nlon)")
        let sorted = indices.flatMap { $0 }.sorted()
        precondition(zip(sorted, sorted.dropFirst()).allSatisfy { $0 < $1 },
                     "IndexedEnsembleTranspose: an ensemble index is held twice: \(sorted)")
        var position = [Int: Int]()
        for (k, index) in sorted.enumerated() { position[index] = k }
        self.indices = indices
        sortedIndices = sorted
        positions = indices.map { $0.map { position[$0]! } }
        self.nlat = nlat
        self.nlon = nlon
        ranks = indices.count
        self.rank = rank
    }

    /// Collective: gathers every rank's `localIndices` (one allgatherv).
    public init(localIndices: [Int], nlat: Int, nlon: Int, communicator: Communicator) throws {
        let all = try communicator.allgatherv(localIndices.map(Int64.init))
        var offset = 0
        var indices = [[Int]]()
        for count in all.counts {
            indices.append(all.values[offset..<(offset + count)].map { Int($0) })
            offset += count
        }
        self.init(indices: indices, rank: communicator.rank, nlat: nlat, nlon: nlon)
    }

    /// Members → row slabs. - local: [indices[rank].count][pointCount]; returns [localPoints.count][memberCount].
    public func forward(_ local: UnsafeBufferPointer<Float>, over communicator: Communicator) throws -> [Float] {
        precondition(communicator.size == ranks && communicator.rank == rank,
                     "IndexedEnsembleTranspose: planned for rank \(rank) of \(ranks), called on \(communicator.rank) of \(communicator.size)")
        let mine = indices[rank].count
        let n = pointCount
        precondition(local.count == mine * n, "IndexedEnsembleTranspose.forward: \(local.count) values, expected \(mine) × \(n)")
        let slab = localPoints
        let m = memberCount
        let rowSizes = splitSizes(nlat, parts: ranks)
        let sendCounts = rowSizes.map { $0 * nlon * mine }
        let receiveCounts = indices.map { $0.count * slab.count }
        var result = [Float](repeating: 0, count: slab.count * m)
        try result.withUnsafeMutableBufferPointer { target in
            try communicator.exchange(
                sendCounts: sendCounts, receiveCounts: receiveCounts,
                pack: { (q: Int, buffer: UnsafeMutableBufferPointer<Float>) in
                    // to rank q: [my member][q's points]
                    let rows = splitRange(nlat, parts: ranks, index: q)
                    let points = (rows.lowerBound * nlon)..<(rows.upperBound * nlon)
                    var k = 0
                    for i in 0..<mine {
                        for p in points { buffer[k] = local[i * n + p]; k += 1 }
                    }
                },
                unpack: { (q: Int, buffer: UnsafeBufferPointer<Float>) in
                    // from rank q: [q's member][my point] → [my point][member in index order]
                    var k = 0
                    for position in positions[q] {
                        for p in 0..<slab.count { target[p * m + position] = buffer[k]; k += 1 }
                    }
                })
        }
        // after this: [slab point][member], members ascending by ensemble index
        return result
    }
}
