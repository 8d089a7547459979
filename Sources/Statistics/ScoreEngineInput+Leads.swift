import Foundation
import MPI

extension ScoreEngineInput {
    /// Adds every lead time of the members file to `engine`, the members of each initial time shared out over
    /// the ranks of `communicator` (balanced split), each lead's truth read as the engine asks for it. A member
    /// marked valid but holding NaN or infinity is left out of that lead's scores, and said (`warning`, on
    /// rank 0). Collective over `communicator`; `engine.finish()` is the caller's.
    /// - progress: a line after each lead time, on every rank
    public func addEveryLead(to engine: InSituStatistics, communicator world: Communicator,
                             progress: (String) -> Void = { _ in }, warning: (String) -> Void = { _ in }) throws {
        let start = Date()
        let mine = splitRange(membersPerTime, parts: world.size, index: world.rank)
        for lead in leadHours.indices {
            var batch = try members(mine, lead: lead)
            var leftOut: Int64 = 0
            for k in batch.indices where batch[k].isValid && !batch[k].fields.allSatisfy(\.isFinite) {
                batch[k].isValid = false
                leftOut += 1
            }
            leftOut = try world.allreduced(leftOut, .sum)
            if world.isRoot && leftOut > 0 {
                warning("score: lead time \(leadHours[lead]) h: \(leftOut) member(s) hold NaN or infinity and are left out of this lead's scores")
            }
            try engine.add(lead: lead, members: batch) { t in try truth(time: t, lead: lead) }
            progress("score: lead time \(leadHours[lead]) h done (\(lead + 1)/\(leadHours.count)), \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        }
    }
}
