import Foundation
import MPI

extension ScoreInput {
    /// The scores of every lead time and variable as CSV, `variable,lead_time,metric,value` with a header
    /// (the rows of `VerificationSummary.rows`, then `best_member_rmse` and `best_member`), on every rank.
    /// The members are shared out over the ranks of `communicator` and met at grid-point slabs by the
    /// ensemble transpose: the numbers do not depend on the rank count. Collective over `communicator`.
    ///
    /// NaN or infinity in a member or the truth would turn every mean into NaN silently: it is refused
    /// (`RankFailure`, counted and named, every rank alike).
    /// - progress: a line at the start and after each lead time, on every rank
    public func scoreTable(thresholds: [Double], seed: UInt64, communicator world: Communicator,
                           progress: (String) -> Void = { _ in }) throws -> String {
        let start = Date()
        let (m, times, channels, nlat, nlon) = shape
        let transpose = EnsembleTranspose(memberCount: m, pointCount: nlat * nlon, ranks: world.size, rank: world.rank)
        let mine = transpose.localMembers
        let configuration = ScoreConfiguration(thresholds: thresholds, seed: seed)
        progress("score: \(m) members × \(times) time(s) × \(channels) variable(s) of \(nlat) × \(nlon), \(world.size) rank(s), \(mine.count) member(s) on rank 0")
        var csv = "variable,lead_time,metric,value\n"
        for t in 0..<times {
            for c in 0..<channels {
                // A read failing here may fail on one rank only: not SameOnEveryRank, so it aborts the job.
                let local = try members.read(Float.self, offset: [mine.lowerBound, t, c, 0, 0], count: [mine.count, 1, 1, nlat, nlon])
                let field = try truthFields.read(Float.self, offset: [t, c, 0, 0], count: [1, 1, nlat, nlon])
                try world.agreeing {
                    let where_ = "lead time \(leadTimes[t]) h, variable \(variables[c])"
                    let bad = local.lazy.filter { !$0.isFinite }.count
                    if bad > 0 {
                        throw ScoreInputError("\(forecastPath): \(bad) non-finite value(s) in members \(mine.lowerBound)..<\(mine.upperBound) at \(where_); scores need finite members: drop the members that blew up (a members file of myriad run marks them in member_valid) or mend the file")
                    }
                    let truthPoints = field.lazy.filter { !$0.isFinite }.count
                    if truthPoints > 0 {
                        throw ScoreInputError("\(truthPath): \(truthPoints) non-finite value(s) in the truth at \(where_); give a truth without NaN or infinity")
                    }
                }
                let (_, summary, best) = try EnsembleVerification.verify(
                    localMembers: local, truth: field, pointWeights: pointWeights, transpose: transpose,
                    lead: t, variable: c, configuration: configuration, communicator: world)
                let rows = summary.rows(thresholds: thresholds, bestMember: best)
                for row in rows { csv += "\(variables[c]),\(leadTimes[t]),\(row.metric),\(row.value)\n" }
            }
            progress("score: lead time \(leadTimes[t]) h done (\(t + 1)/\(times)), \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        }
        return csv
    }
}
