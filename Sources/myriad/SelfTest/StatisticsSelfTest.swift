import Foundation
import Kernels
import MPI
import Sphere
import Statistics
import Storage

/// The distributed statistics against the reference fixture (`tools/fixtures/scores.py`): members
/// shared out over the ranks (uneven splits), the ensemble transpose, then per-point sorted statistics and
/// scores on each rank's slab.
enum StatisticsSelfTest {
    static func run(_ checks: SelfTestChecks, fixture: String) throws {
        let world = checks.world
        let file = try HDF5File.open(fixture)
        for name in ["m2", "m5", "m5-ties", "m50", "m257-ties"] {
            let group = try file.openGroup(name)
            let data = try group.openDataset("members")
            let (m, leads, nlat, nlon) = (data.shape[0], data.shape[1], data.shape[2], data.shape[3])
            let n = nlat * nlon
            func reference(_ dataset: String) throws -> [Double] { try group.openDataset(dataset).read(Double.self) }
            let thresholds = try reference("thresholds")
            let configuration = ScoreConfiguration(
                thresholds: thresholds, quantileLevels: try reference("quantile_levels"),
                kSigma: try group.attribute("k_sigma", as: Double.self)[0],
                seed: UInt64(try group.attribute("seed", as: Int64.self)[0]))
            let transpose = EnsembleTranspose(memberCount: m, pointCount: n, ranks: world.size, rank: world.rank)
            let mine = transpose.localMembers
            let slab = transpose.localPoints
            let (mean, deviation, low, high) = (try reference("mean"), try reference("std"), try reference("min"), try reference("max"))
            let (crps, fair, exceedance) = (try reference("crps"), try reference("crps_fair"), try reference("exceedance"))
            let beyond = try reference("beyond_k_sigma")
            let outcomeWeighted = try reference("ow_crps")
            let rank = try group.openDataset("rank").read(Int64.self)
            let levels = configuration.quantileLevels
            let quantiles = try reference("quantiles")
            for t in 0..<leads {
                let local = try data.read(Float.self, offset: [mine.lowerBound, t, 0, 0], count: [mine.count, 1, nlat, nlon])
                let truth = try group.openDataset("truth").read(Float.self, offset: [t, 0, 0], count: [1, nlat, nlon])
                let label = "\(name) lead \(t)"

                // Ensemble transpose, then sorted per-point scores on this rank's slab.
                let points = try transpose.forward(local, over: world)
                let scores = points.withUnsafeBufferPointer { x in
                    Array(truth[slab]).withUnsafeBufferPointer { y in
                        SlabScores(members: x, truth: y, memberCount: m, firstPoint: slab.lowerBound, lead: t, variable: 0,
                                   configuration: configuration)
                    }
                }
                let global = (t * n + slab.lowerBound)..<(t * n + slab.upperBound)
                checks.expect(close(scores.crps, Array(crps[global]), 1e-10), "\(label): slab CRPS")
                checks.expect(close(scores.fairCRPS, Array(fair[global]), 1e-10), "\(label): slab fair CRPS")
                checks.expect(close(scores.statistics.mean, Array(mean[global]), 1e-10), "\(label): slab mean")
                let std = scores.statistics.variance.map { $0.squareRoot() }
                checks.expect(close(std, Array(deviation[global]), 1e-10), "\(label): slab std")
                checks.expectEqual(scores.statistics.minimum, Array(low[global]), "\(label): slab min")
                checks.expectEqual(scores.statistics.maximum, Array(high[global]), "\(label): slab max")
                checks.expectEqual(scores.statistics.beyondKSigma, Array(beyond[global]), "\(label): slab beyond kσ")
                for k in thresholds.indices {
                    let base = (k * leads + t) * n
                    checks.expectEqual(Array(scores.statistics.exceedance[(k * slab.count)..<((k + 1) * slab.count)]),
                                       Array(exceedance[(base + slab.lowerBound)..<(base + slab.upperBound)]),
                                       "\(label): slab exceedance τ \(thresholds[k])")
                }
                checks.expectEqual(scores.rank.map(Int64.init), Array(rank[global]), "\(label): slab ranks")
                var expectedOutcomeWeighted = [Double]()
                for k in thresholds.indices {
                    let base: Int = (k * leads + t) * n
                    expectedOutcomeWeighted += outcomeWeighted[(base + slab.lowerBound)..<(base + slab.upperBound)]
                }
                checks.expect(zip(scores.outcomeWeightedCRPS, expectedOutcomeWeighted).allSatisfy { a, e in
                    e.isNaN ? a.isNaN : abs(a - e) <= 1e-10 * abs(e) + 1e-14
                } && scores.outcomeWeightedCRPS.count == expectedOutcomeWeighted.count, "\(label): slab ow-CRPS")
                var expectedQuantiles = [Double]()
                for k in levels.indices {
                    let base: Int = (k * leads + t) * n
                    expectedQuantiles += quantiles[(base + slab.lowerBound)..<(base + slab.upperBound)]
                }
                checks.expect(close(scores.statistics.quantiles, expectedQuantiles, 1e-12), "\(label): slab quantiles")

                // The transpose alone on N − 1 points (uneven point slabs at 2 and 4 ranks): every value
                // lands at [point][member], checked against the file.
                let odd = EnsembleTranspose(memberCount: m, pointCount: n - 1, ranks: world.size, rank: world.rank)
                let trimmed = (0..<mine.count).flatMap { i in local[(i * n)..<((i + 1) * n - 1)] }
                let moved = try odd.forward(trimmed, over: world)
                let everyone = try data.read(Float.self, offset: [0, t, 0, 0], count: [m, 1, nlat, nlon])
                let expected = odd.localPoints.flatMap { p in (0..<m).map { everyone[$0 * n + p] } }
                checks.expectEqual(moved, expected, "\(label): transpose of \(n - 1) points")
            }
        }
    }

    /// Relative agreement with an absolute floor for exact zeros.
    static func close(_ a: [Double], _ b: [Double], _ tolerance: Double) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * abs($1) + 1e-14 }
    }
}
