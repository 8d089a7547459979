import MPI

/// Collects a suite's checks on one rank; `conclude` agrees on the outcome across all ranks.
final class SelfTestChecks {
    let world: Communicator
    private(set) var count = 0
    private var failures: [String] = []

    init(world: Communicator) { self.world = world }

    func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
        count += 1
        if !condition { failures.append(message()) }
    }

    func expectEqual<T: Equatable>(_ actual: [T], _ expected: [T], _ what: @autoclosure () -> String) {
        expect(actual == expected, "\(what()): got \(actual.prefix(12)) expected \(expected.prefix(12))"
               + (actual.count > 12 ? " … (\(actual.count) vs \(expected.count) elements)" : ""))
    }

    /// Every rank learns how many checks failed anywhere; rank 0 reports; a failure anywhere makes
    /// every rank exit non-zero.
    func conclude(suite: String) throws {
        for failure in failures { writeStandardError("[rank \(world.rank)] FAILED \(suite): \(failure)\n") }
        let failed = try world.allreduced(Int64(failures.count), .sum)
        let total = try world.allreduced(Int64(count), .sum)
        if failed > 0 { throw SelfTestFailed(suite: suite, failed: Int(failed), total: Int(total)) }
        if world.isRoot {
            print("selftest \(suite): \(total) checks passed on \(world.size) rank\(world.size == 1 ? "" : "s")")
        }
    }
}

struct SelfTestFailed: SameOnEveryRank {
    let suite: String
    let failed: Int
    let total: Int
    var description: String { "selftest \(suite): \(failed) of \(total) checks failed" }
}
