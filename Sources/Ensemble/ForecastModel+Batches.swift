import Foundation
import ModelInterface

extension ForecastModel {
    /// `step` of `count` members together (physical units, `[count][state][lat][lon]`): each normalised, the
    /// batch through `stepNormalised(members:count:validTimes:)`, each denormalised, so that every member's
    /// numbers are its own `step`'s.
    func step(members states: inout [Float], count: Int, validTimes: [Date]) throws {
        precondition(count >= 1 && states.count % count == 0, "ForecastModel.step: \(states.count) values for \(count) members")
        let size = states.count / count
        func eachMember(_ body: (inout [Float]) -> Void) {
            for k in 0..<count {
                var state = Array(states[(k * size)..<((k + 1) * size)])
                body(&state)
                states.replaceSubrange((k * size)..<((k + 1) * size), with: state)
            }
        }
        eachMember { normalise(&$0) }
        try stepNormalised(members: &states, count: count, validTimes: validTimes)
        eachMember { denormalise(&$0) }
    }
}
