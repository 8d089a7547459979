import Statistics
import XCTest

/// The ROC of summaries with different member counts (a time with left-out members): accumulated at the
/// larger ensemble's levels k/M, a point of the smaller one (j′ of M′ above τ) counts as "yes" exactly where
/// j′/M′ ≥ k/M — checked against that definition by brute force.
final class VerificationSummaryROCTests: XCTestCase {
    /// A summary of `points` points with `m` members, truth and members drawn from a small LCG grid.
    private func summary(m: Int, points: Int, seed: UInt64, threshold: Double) -> (VerificationSummary, exceeding: [Int], events: [Bool]) {
        var state = seed
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(state >> 33) % 9) / 4 - 1  // −1 … 1 in steps of 1/4: ties with τ too
        }
        let members = (0..<(points * m)).map { _ in next() }
        let truth = (0..<points).map { _ in next() }
        let weights = [Double](repeating: 1, count: points)
        let configuration = ScoreConfiguration(thresholds: [threshold])
        let slab = members.withUnsafeBufferPointer { x in
            truth.withUnsafeBufferPointer { SlabScores(members: x, truth: $0, memberCount: m, firstPoint: 0, lead: 0, variable: 0, configuration: configuration) }
        }
        var result = VerificationSummary(memberCount: m, thresholdCount: 1)
        truth.withUnsafeBufferPointer { y in weights.withUnsafeBufferPointer { result.add(slab, truth: y, pointWeights: $0) } }
        let exceeding = (0..<points).map { p in (0..<m).filter { Double(members[p * m + $0]) > threshold }.count }
        return (result, exceeding, truth.map { Double($0) > threshold })
    }

    func testMixedMemberCountsCountAtTheLargerEnsemblesLevels() {
        let tau = 0.25
        for (large, small) in [(4, 2), (5, 3), (7, 7), (8, 5)] {
            let (a, exceedingA, eventsA) = summary(m: large, points: 300, seed: 1, threshold: tau)
            let (b, exceedingB, eventsB) = summary(m: small, points: 200, seed: 2, threshold: tau)
            var total = a
            total.accumulate(b)
            for level in 0...large {
                // yes where j/M ≥ level/large, in integers: j · large ≥ level · M
                func count(_ exceeding: [Int], _ events: [Bool], _ m: Int, event: Bool) -> (yes: Int, all: Int) {
                    let chosen = exceeding.indices.filter { events[$0] == event }
                    return (chosen.filter { exceeding[$0] * large >= level * m }.count, chosen.count)
                }
                let (hitsA, eventsCountA) = count(exceedingA, eventsA, large, event: true)
                let (hitsB, eventsCountB) = count(exceedingB, eventsB, small, event: true)
                let (alarmsA, quietA) = count(exceedingA, eventsA, large, event: false)
                let (alarmsB, quietB) = count(exceedingB, eventsB, small, event: false)
                XCTAssertEqual(total.hitRate(threshold: 0, level: level), Double(hitsA + hitsB) / Double(eventsCountA + eventsCountB),
                               "M \(large) + \(small): hit rate at level \(level)")
                XCTAssertEqual(total.falseAlarmRate(threshold: 0, level: level), Double(alarmsA + alarmsB) / Double(quietA + quietB),
                               "M \(large) + \(small): false-alarm rate at level \(level)")
            }
            XCTAssertTrue(total.energyScore.isNaN, "no energy score of an aggregate over times")
        }
    }

    /// A perfect forecast (all members equal the truth) separates events completely: area 1, tw-CRPS 0, and
    /// no false alarms, so the EDI (ln F) is undefined: NaN.
    func testPerfectForecastHasAreaOneAndUndefinedEDI() {
        let m = 6, points = 40
        let truth: [Float] = (0..<points).map { Float($0 % 5) }
        let members = truth.flatMap { [Float](repeating: $0, count: m) }
        let configuration = ScoreConfiguration(thresholds: [1.5])
        let slab = members.withUnsafeBufferPointer { x in
            truth.withUnsafeBufferPointer { SlabScores(members: x, truth: $0, memberCount: m, firstPoint: 0, lead: 0, variable: 0, configuration: configuration) }
        }
        var summary = VerificationSummary(memberCount: m, thresholdCount: 1)
        let weights = [Double](repeating: 1, count: points)
        truth.withUnsafeBufferPointer { y in weights.withUnsafeBufferPointer { summary.add(slab, truth: y, pointWeights: $0) } }
        XCTAssertEqual(summary.rocArea(threshold: 0), 1)
        XCTAssertTrue(summary.extremalDependenceIndex(threshold: 0).isNaN, "F = 0: ln F undefined")
        XCTAssertEqual(summary.thresholdWeightedCRPS(threshold: 0), 0)
    }
}
