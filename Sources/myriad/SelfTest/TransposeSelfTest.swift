import ComplexModule
import MPI

/// `Communicator.transpose` against a gather-everything reference: every rank holds its part of one
/// array (the gather axis split), all ranks' parts are allgathered and put together into the whole array,
/// and each rank's result must be that array's part with the split axis split — bit for bit, with the
/// memory between the target's elements untouched. Over every pair of axes of 2- and 3-axis arrays whose
/// extents do not divide by the rank count (some smaller than it, so that parts are empty), dense and
/// strided layouts (padded rows, axes stored in reverse order), and element sizes 4, 8 and 16 bytes. The
/// cases run one after another on the same communicator, so its buffers are reused at growing and
/// shrinking sizes.
enum TransposeSelfTest {
    static func run(_ checks: SelfTestChecks) throws {
        try exercise(checks) { Float($0) }
        try exercise(checks) { Double($0) + 0.25 }
        try exercise(checks) { Complex<Float>(Float($0), Float(-$0)) }
        try exercise(checks) { Complex<Double>(Double($0), 1 / Double($0 + 1)) }
    }

    /// Memory orders of a block's logical axes.
    enum Storage: CaseIterable { case rowMajor, padded, reversed }

    static func exercise<T: MPIScalar & Equatable>(_ checks: SelfTestChecks, _ make: (Int) -> T) throws {
        let world = checks.world
        let p = world.size
        let shapes = [[5, 7], [3, 2], [6, 1, 9], [2, 5, 3], [0, 4, 3]]
        for extents in shapes {
            let axes = extents.count
            for split in 0..<axes {
                for gather in 0..<axes where gather != split {
                    for storage in Storage.allCases {
                        try check(checks, extents: extents, split: split, gather: gather, source: storage,
                                  target: Storage.allCases[(Storage.allCases.firstIndex(of: storage)! + 1) % 3], make)
                    }
                }
            }
        }
        // The array form, dense on both sides.
        let extents = [7, 3]
        let before = part(of: extents, axis: 1, rank: world.rank, size: p)
        let mine = values(in: before, extents: extents, make)
        let result = try world.transpose(mine, .rowMajor(before.map(\.count)), split: 0, gather: 1, gatheredExtent: 3)
        let after = part(of: extents, axis: 0, rank: world.rank, size: p)
        checks.expectEqual(result, values(in: after, extents: extents, make), "\(T.self) transpose of arrays")
    }

    static func check<T: MPIScalar & Equatable>(_ checks: SelfTestChecks, extents: [Int], split: Int, gather: Int,
                                                source sourceStorage: Storage, target targetStorage: Storage,
                                                _ make: (Int) -> T) throws {
        let world = checks.world
        let what = "\(T.self) \(extents) split \(split) gather \(gather) \(sourceStorage)→\(targetStorage)"
        let before = part(of: extents, axis: gather, rank: world.rank, size: world.size)
        let after = part(of: extents, axis: split, rank: world.rank, size: world.size)
        let sourceLayout = layout(before.map(\.count), sourceStorage)
        let targetLayout = layout(after.map(\.count), targetStorage)
        let filler = make(-7)

        // This rank's part, stored as `sourceLayout` says (gaps hold the filler).
        let mine = values(in: before, extents: extents, make)
        var source = [T](repeating: filler, count: span(sourceLayout))
        scatter(mine, into: &source, sourceLayout)

        var target = [T](repeating: filler, count: span(targetLayout))
        try source.withUnsafeBufferPointer { s in
            try target.withUnsafeMutableBufferPointer { t in
                try world.transpose(s.baseAddress, sourceLayout, into: t.baseAddress, targetLayout, split: split, gather: gather)
            }
        }

        // The reference: every rank's part, gathered and put together into the whole array.
        let everyone = try world.allgatherv(mine)
        var whole = [T](repeating: filler, count: extents.reduce(1, *))
        var offset = 0
        for q in 0..<world.size {
            let theirs = part(of: extents, axis: gather, rank: q, size: world.size)
            let count = theirs.map(\.count).reduce(1, *)
            for (k, index) in indices(theirs).enumerated() {
                whole[linear(index, extents)] = everyone.values[offset + k]
            }
            offset += count
        }
        let expected = indices(after).map { whole[linear($0, extents)] }
        var expectedTarget = [T](repeating: filler, count: span(targetLayout))
        scatter(expected, into: &expectedTarget, targetLayout)
        checks.expectEqual(target, expectedTarget, what)
    }

    // MARK: - Arrays and layouts

    /// Rank `rank`'s ranges of the array: `axis` split as `splitRange`, the others whole.
    static func part(of extents: [Int], axis: Int, rank: Int, size: Int) -> [Range<Int>] {
        extents.enumerated().map { $0.offset == axis ? splitRange($0.element, parts: size, index: rank) : 0..<$0.element }
    }

    /// Every index of the block `ranges`, row-major.
    static func indices(_ ranges: [Range<Int>]) -> [[Int]] {
        ranges.reduce([[]]) { partial, range in partial.flatMap { prefix in range.map { prefix + [$0] } } }
    }

    static func linear(_ index: [Int], _ extents: [Int]) -> Int {
        zip(index, extents).reduce(0) { $0 * $1.1 + $1.0 }
    }

    /// The whole array's values at the block's indices, row-major: element i of the array is `make(i + 1)`.
    static func values<T>(in ranges: [Range<Int>], extents: [Int], _ make: (Int) -> T) -> [T] {
        indices(ranges).map { make(linear($0, extents) + 1) }
    }

    /// `extents` stored dense, with two elements of padding after each run of the last axis, or with the
    /// axes in reverse order (the first fastest).
    static func layout(_ extents: [Int], _ storage: Storage) -> StridedBlock {
        switch storage {
        case .rowMajor: return .rowMajor(extents)
        case .padded:
            var padded = extents
            padded[padded.count - 1] += 2
            return StridedBlock(extents: extents, strides: StridedBlock.rowMajor(padded).strides)
        case .reversed:
            let strides = StridedBlock.rowMajor(extents.reversed()).strides.reversed()
            return StridedBlock(extents: extents, strides: Array(strides))
        }
    }

    /// Elements of memory the layout reaches (at least one).
    static func span(_ layout: StridedBlock) -> Int {
        guard layout.count > 0 else { return 1 }
        return zip(layout.extents, layout.strides).map { ($0 - 1) * $1 }.reduce(0, +) + 1
    }

    /// Writes row-major `dense` at the positions of `layout`.
    static func scatter<T>(_ dense: [T], into memory: inout [T], _ layout: StridedBlock) {
        for (k, index) in indices(layout.extents.map { 0..<$0 }).enumerated() {
            memory[zip(index, layout.strides).map { $0 * $1 }.reduce(0, +)] = dense[k]
        }
    }
}
