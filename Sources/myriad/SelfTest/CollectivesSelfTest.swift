import ComplexModule
import MPI

/// Every typed collective against values each rank can compute on its own: rank `r`'s element `i` is
/// `value(r, i) = 100·r + i`, so sums, minima and maxima over ranks have closed forms. Counts are
/// uneven in the v-variants (rank 0 sends nothing in gatherv/allgatherv).
enum CollectivesSelfTest {
    static func run(_ checks: SelfTestChecks) throws {
        try exercise(Float.self, checks)
        try exercise(Double.self, checks)
        try exercise(Int32.self, checks)
        try exercise(Int64.self, checks)
        try exercise(Complex<Float>.self, checks)
        try orderedReductions(Float.self, checks)
        try orderedReductions(Double.self, checks)
        try orderedReductions(Int32.self, checks)
        try orderedReductions(Int64.self, checks)
        try splitAndStrings(checks)
    }

    static func value<T: SelfTestElement>(_ rank: Int, _ i: Int) -> T { T(testValue: 100 * rank + i) }

    static func exercise<T: SelfTestElement>(_ type: T.Type, _ checks: SelfTestChecks) throws {
        let world = checks.world
        let r = world.rank
        let p = world.size
        let n = 5
        let name = "\(T.self)"
        let mine: [T] = (0..<n).map { value(r, $0) }

        // Broadcast from the last rank.
        var buffer = mine
        try world.broadcast(&buffer, root: p - 1)
        checks.expectEqual(buffer, (0..<n).map { value(p - 1, $0) }, "\(name) broadcast")

        // Sum over ranks: Σ_r (100 r + i) = 100 p(p-1)/2 + p i.
        let sums: [T] = (0..<n).map { T(testValue: 100 * p * (p - 1) / 2 + p * $0) }
        let reduced = try world.reduce(mine, .sum, root: 0)
        checks.expectEqual(reduced, r == 0 ? sums : [], "\(name) reduce sum")
        var inPlace = mine
        try world.allreduce(&inPlace, .sum)
        checks.expectEqual(inPlace, sums, "\(name) allreduce sum in place")

        // Gathers with equal counts.
        let everyone: [T] = (0..<p).flatMap { q in (0..<n).map { value(q, $0) } }
        checks.expectEqual(try world.gather(mine, root: 0), r == 0 ? everyone : [], "\(name) gather")
        checks.expectEqual(try world.allgather(mine), everyone, "\(name) allgather")

        // Gathers with uneven counts: rank q contributes q elements.
        let uneven: [T] = (0..<r).map { value(r, $0) }
        let unevenAll: [T] = (0..<p).flatMap { q in (0..<q).map { value(q, $0) } }
        let gv = try world.gatherv(uneven, root: 0)
        checks.expectEqual(gv.values, r == 0 ? unevenAll : [], "\(name) gatherv values")
        checks.expectEqual(gv.counts, r == 0 ? Array(0..<p) : [], "\(name) gatherv counts")
        let agv = try world.allgatherv(uneven)
        checks.expectEqual(agv.values, unevenAll, "\(name) allgatherv values")
        checks.expectEqual(agv.counts, Array(0..<p), "\(name) allgatherv counts")

        // All-to-all, blocks of two: element k of the block from q to j is 1000 q + 10 j + k.
        let block = 2
        let toAll: [T] = (0..<p).flatMap { j in (0..<block).map { T(testValue: 1000 * r + 10 * j + $0) } }
        let fromAll: [T] = (0..<p).flatMap { q in (0..<block).map { T(testValue: 1000 * q + 10 * r + $0) } }
        checks.expectEqual(try world.alltoall(toAll), fromAll, "\(name) alltoall")

        // All-to-all with uneven counts: rank q sends (q + j) % 3 elements to rank j.
        let sendCounts = (0..<p).map { (r + $0) % 3 }
        let receiveCounts = (0..<p).map { ($0 + r) % 3 }
        let sendV: [T] = (0..<p).flatMap { j in (0..<sendCounts[j]).map { T(testValue: 1000 * r + 10 * j + $0) } }
        let expectV: [T] = (0..<p).flatMap { q in (0..<receiveCounts[q]).map { T(testValue: 1000 * q + 10 * r + $0) } }
        checks.expectEqual(try world.alltoallv(sendV, sendCounts: sendCounts, receiveCounts: receiveCounts),
                           expectV, "\(name) alltoallv")

        // Ring exchange.
        let right = (r + 1) % p
        let left = (r - 1 + p) % p
        checks.expectEqual(try world.sendReceive(mine, to: right, receiveCount: n, from: left),
                           (0..<n).map { value(left, $0) }, "\(name) sendReceive ring")
    }

    /// min and max (not defined for complex numbers), in place and into a new array.
    static func orderedReductions<T: SelfTestElement & Comparable>(_ type: T.Type, _ checks: SelfTestChecks) throws {
        let world = checks.world
        let mine: [T] = (0..<4).map { value(world.rank, $0) }
        var low = mine
        try world.allreduce(&low, .min)
        checks.expectEqual(low, (0..<4).map { value(0, $0) }, "\(T.self) allreduce min in place")
        checks.expectEqual(try world.allreduced(mine, .max), (0..<4).map { value(world.size - 1, $0) },
                           "\(T.self) allreduce max")
        checks.expectEqual(try world.reduce(mine, .max, root: world.size - 1),
                           world.rank == world.size - 1 ? (0..<4).map { value(world.size - 1, $0) } : [],
                           "\(T.self) reduce max to last rank")
        checks.expect(try world.allreduced(T(testValue: 7 * world.rank), .max) == T(testValue: 7 * (world.size - 1)),
                      "\(T.self) scalar allreduce max")
    }

    static func splitAndStrings(_ checks: SelfTestChecks) throws {
        let world = checks.world
        let parity = try world.split(color: world.rank % 2, key: -world.rank)
        let sameParity = (0..<world.size).filter { $0 % 2 == world.rank % 2 }
        checks.expect(parity.size == sameParity.count, "split size \(parity.size) != \(sameParity.count)")
        // Keys are negated world ranks, so the highest world rank comes first.
        checks.expectEqual(try parity.allgather([Int64(world.rank)]), sameParity.reversed().map { Int64($0) },
                           "split ordering by key")
        let text = try world.broadcast(world.isRoot ? "grüße from rank 0" : "", root: 0)
        checks.expect(text == "grüße from rank 0", "string broadcast gave '\(text)'")
        try world.barrier()
    }
}

/// Element types the collectives self-test exercises.
protocol SelfTestElement: MPIScalar, Equatable {
    init(testValue: Int)
}

extension Float: SelfTestElement { init(testValue: Int) { self.init(testValue) } }
extension Double: SelfTestElement { init(testValue: Int) { self.init(testValue) } }
extension Int32: SelfTestElement { init(testValue: Int) { self.init(testValue) } }
extension Int64: SelfTestElement { init(testValue: Int) { self.init(testValue) } }
extension Complex: SelfTestElement where RealType == Float {
    init(testValue: Int) { self.init(Float(testValue), Float(-2 * testValue)) }
}
