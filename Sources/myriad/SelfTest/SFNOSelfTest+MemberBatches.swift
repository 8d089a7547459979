import Foundation
import MPI
import SFNO

extension SFNOSelfTest {
    /// Members in batches through a network split over the model group (`--member-batches`): eight different
    /// members go through `forward(members:count:)` — and, where the network steps, through
    /// `stepNormalised(members:count:validTimes:)` with a valid time each — in batches of 1, 3 (shuffled) and
    /// 8, and every member's slab must equal its single-member pass on the same layout bit for bit.
    static func runMemberBatches(_ checks: SelfTestChecks, layout: ModelLayout, checkpoint path: String) throws {
        let grid = try ProcessGrid(world: checks.world, layout: layout)
        let network = try loadSFNONetwork(checkpoint: path, grid: grid)
        let d = network.decomposition!
        let c = network.checkpoint
        let name = "\(URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent) (embed \(c.embedDim)) layout \(layout)"
        let batches: [[Int]] = [[0], [5], [6, 1, 3], [2, 7, 4], Array(0..<8)]
        let start = Date(timeIntervalSince1970: 1_685_577_600)   // 2023-06-01T00:00Z
        let validTimes = (0..<8).map { start.addingTimeInterval(Double($0 * 6 * 3600)) }
        func check(_ what: String, channels: Int, _ pass: ([Float], [Int]) throws -> [Float]) throws {
            let points = network.nlat * network.nlon
            // The same members on every rank of a model group; each rank cuts its slab.
            let members = (0..<8).map { k in d.slab(of: input(channels: channels, points: points, seed: 100 + k), channels: channels) }
            let single = try members.indices.map { try pass(members[$0], [$0]) }
            var equal = true
            for batch in batches {
                let out = try pass(batch.flatMap { members[$0] }, batch)
                let size = out.count / batch.count
                for (slot, member) in batch.enumerated() {
                    let same = Array(out[(slot * size)..<((slot + 1) * size)]) == single[member]
                    equal = equal && same
                    checks.expect(same, "\(name) \(what): member \(member) in batch \(batch) differs from its single pass")
                }
            }
            let all = try grid.world.allreduced(Int32(equal ? 0 : 1), .sum) == 0
            report(grid, "\(name) \(what): B = 1, 3, 8 \(all ? "bit for bit" : "DIFFER")")
        }
        try check("forward", channels: c.inChannels) { x, batch in try network.forward(members: x, count: batch.count, observe: nil) }
        guard !c.runsOneStepOnly else { return }
        try check("stepNormalised", channels: network.stateChannels.count) { x, batch in
            var state = x
            try network.stepNormalised(members: &state, count: batch.count, validTimes: batch.map { validTimes[$0] })
            return state
        }
    }
}
