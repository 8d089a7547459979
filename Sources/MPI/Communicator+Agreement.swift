/// A failure of some ranks in a step that every rank runs, reported alike on every rank after they agreed
/// on it: the messages of the ranks that failed, each with its rank.
public struct RankFailure: SameOnEveryRank, Sendable {
    /// (rank, message) of every rank that failed, by rank.
    public let failures: [(rank: Int, message: String)]

    public var description: String {
        let messages = failures.map(\.message)
        if Set(messages).count == 1 {
            let ranks = failures.count == 1 ? "rank \(failures[0].rank)" : "ranks \(failures.map { String($0.rank) }.joined(separator: ", "))"
            return failures.count > 1 || failures[0].rank == 0 ? messages[0] : "\(messages[0]) (on \(ranks))"
        }
        return failures.map { "rank \($0.rank): \($0.message)" }.joined(separator: "\n")
    }
}

extension Communicator {
    /// Runs `body` on every rank, then agrees on the outcome before anyone goes on: if it threw on any rank,
    /// every rank throws the same `RankFailure` naming each failed rank's error; else each rank gets its result.
    ///
    /// For rank-local work (creating a directory, renaming a file, checking a path) that precedes a
    /// collective step: without the agreement a rank that failed would leave the others waiting in that
    /// step for ever. Collective: every rank must call it.
    public func agreeing<T>(_ body: () throws -> T) throws -> T {
        let outcome: Result<T, Error>
        do { outcome = .success(try body()) } catch { outcome = .failure(error) }
        var message: [UInt8] = []
        if case .failure(let error) = outcome { message = Array("\(error)".utf8) }
        let anyFailed = try allreduced(Int32(message.isEmpty ? 0 : 1), .max) != 0
        guard anyFailed else { return try outcome.get() }
        let (bytes, counts) = try allgatherv(message)
        var failures: [(rank: Int, message: String)] = []
        var start = 0
        for (rank, count) in counts.enumerated() {
            if count > 0 { failures.append((rank, String(decoding: bytes[start..<(start + count)], as: UTF8.self))) }
            start += count
        }
        throw RankFailure(failures: failures)
    }
}
