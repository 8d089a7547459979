import Foundation
import Kernels
import MPI
import Sphere
import Statistics
import Storage

/// The distributed statistics against the reference fixture (`tools/fixtures/scores.py`): members
/// shared out over the ranks (uneven splits), streaming moments/extremes/±kσ counts reduced across
/// ranks, and the ensemble transpose followed by per-point sorted scores on each rank's slab.
enum StatisticsSelfTest {
    static func run(_ checks: SelfTestChecks, fixture: String) throws {
        let world = checks.world
        try spectra(checks)
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
            let (mean, std, low, high) = (try reference("mean"), try reference("std"), try reference("min"), try reference("max"))
            let (crps, fair, exceedance) = (try reference("crps"), try reference("crps_fair"), try reference("exceedance"))
            let beyond = try reference("beyond_k_sigma")
            let rank = try group.openDataset("rank").read(Int64.self)
            let levels = configuration.quantileLevels
            let quantiles = try reference("quantiles")
            for t in 0..<leads {
                let local = try data.read(Float.self, offset: [mine.lowerBound, t, 0, 0], count: [mine.count, 1, nlat, nlon])
                let truth = try group.openDataset("truth").read(Float.self, offset: [t, 0, 0], count: [1, nlat, nlon])
                let label = "\(name) lead \(t)"
                let field = (t * n)..<((t + 1) * n)

                // Streaming: Welford on this rank's members, Chan across ranks.
                var moments = EnsembleMoments(pointCount: n)
                var extremes = EnsembleExtremes(pointCount: n, thresholds: thresholds)
                for i in 0..<mine.count {
                    local[(i * n)..<((i + 1) * n)].withUnsafeBufferPointer { moments.add($0); extremes.add($0) }
                }
                let all = try moments.reduced(over: world)
                let sd = all.standardDeviation
                checks.expect(all.count == m, "\(label): reduced count \(all.count) != \(m)")
                checks.expect(close(all.mean, Array(mean[field]), 1e-10), "\(label): reduced mean")
                checks.expect(close(sd, Array(std[field]), 1e-10), "\(label): reduced std")
                let reducedExtremes = try extremes.reduced(over: world)
                checks.expectEqual(reducedExtremes.minimum.map(Double.init), Array(low[field]), "\(label): min")
                checks.expectEqual(reducedExtremes.maximum.map(Double.init), Array(high[field]), "\(label): max")
                let p = reducedExtremes.exceedanceProbabilities
                for k in thresholds.indices {
                    checks.expectEqual(Array(p[(k * n)..<((k + 1) * n)]),
                                       Array(exceedance[(k * leads + t) * n..<((k * leads + t) + 1) * n]),
                                       "\(label): exceedance τ \(thresholds[k])")
                }
                var sigma = SigmaExceedance(k: configuration.kSigma, pointCount: n)
                for i in 0..<mine.count {
                    local[(i * n)..<((i + 1) * n)].withUnsafeBufferPointer { sigma.add($0, mean: all.mean, standardDeviation: sd) }
                }
                checks.expectEqual(try sigma.reduced(over: world).counts, Array(beyond[field]), "\(label): beyond kσ")

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
                checks.expectEqual(scores.rank.map(Int64.init), Array(rank[global]), "\(label): slab ranks")
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

    /// Mean member spectrum of 7 members `a_i cos θ` split over the ranks: `Ē(1) = mean(a_i²) 4π/3`, else 0.
    static func spectra(_ checks: SelfTestChecks) throws {
        let world = checks.world
        let (nlat, nlon, m) = (16, 32, 7)
        let sht = try RealSHT<Double>(grid: .legendreGauss, nlat: nlat, nlon: nlon)
        let a = (0..<m).map { 0.5 + Double($0) }
        var spectra = EnsembleSpectra(sht: sht)
        for i in splitRange(m, parts: world.size, index: world.rank) {
            spectra.add(sht.quadrature.cosTheta.flatMap { x in [Float](repeating: Float(a[i] * x), count: nlon) })
        }
        let all = try spectra.reduced(over: world)
        checks.expect(all.count == m, "spectra: reduced count \(all.count) != \(m)")
        let expected = (0..<sht.lmax).map { $0 == 1 ? a.map { $0 * $0 }.reduce(0, +) / Double(m) * 4 * Double.pi / 3 : 0 }
        checks.expect(zip(all.meanMemberSpectrum, expected).allSatisfy { abs($0 - $1) <= 1e-6 * expected[1] },
                      "spectra: mean member spectrum \(all.meanMemberSpectrum.prefix(4)) expected \(expected.prefix(4))")
    }

    /// Relative agreement with an absolute floor for exact zeros.
    static func close(_ a: [Double], _ b: [Double], _ tolerance: Double) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * abs($1) + 1e-14 }
    }
}
