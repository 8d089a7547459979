import Foundation
import Statistics
import Storage
import XCTest

/// The sub-ensemble scores (`EnsembleSizeSummary`): the draws (sizes, without replacement, reproducible, valid
/// members only) and the scores of each drawn sub-ensemble against a plain reference over its members, on the
/// fixture ensembles of `tools/fixtures/scores.py`. The in-situ files at 1, 2 and 4 ranks are checked against
/// the same reference in `InSituStatisticsTests`.
final class EnsembleSizeTests: XCTestCase {
    func testSizesArePowersOfTwoAndTheWholeEnsemble() {
        XCTAssertEqual(EnsembleSizeSummary.sizes(upTo: 50), [1, 2, 4, 8, 16, 32, 50])
        XCTAssertEqual(EnsembleSizeSummary.sizes(upTo: 64), [1, 2, 4, 8, 16, 32, 64])
        XCTAssertEqual(EnsembleSizeSummary.sizes(upTo: 1), [1])
        XCTAssertEqual(EnsembleSizeSummary.sizes(upTo: 7424).suffix(2), [4096, 7424])
    }

    func testDrawsAreWithoutReplacementReproducibleAndSkipLeftOutMembers() {
        let e = 50
        let valid = (0..<e).filter { $0 % 7 != 3 }  // 7 members left out
        var chosenOnce = Set<Int>()
        for time in 0..<40 {
            for size in EnsembleSizeSummary.sizes(upTo: e) {
                let positions = EnsembleSizeSummary.subsample(size: size, time: time, ensembleSize: e, valid: valid, seed: 11)
                if size > valid.count { XCTAssertEqual(positions, []); continue }
                XCTAssertEqual(positions.count, size)
                XCTAssertEqual(Set(positions).count, size, "without replacement")
                XCTAssertEqual(positions, positions.sorted())
                XCTAssertTrue(positions.allSatisfy { valid.indices.contains($0) })
                XCTAssertEqual(positions, EnsembleSizeSummary.subsample(size: size, time: time, ensembleSize: e, valid: valid, seed: 11))
                if size == 8 { chosenOnce.formUnion(positions) }
            }
        }
        XCTAssertEqual(chosenOnce, Set(valid.indices), "every valid member is drawn at some time")
        // Another seed, time or size draws another sub-ensemble.
        let a = EnsembleSizeSummary.subsample(size: 8, time: 0, ensembleSize: e, valid: valid, seed: 11)
        XCTAssertNotEqual(a, EnsembleSizeSummary.subsample(size: 8, time: 0, ensembleSize: e, valid: valid, seed: 12))
        XCTAssertNotEqual(a, EnsembleSizeSummary.subsample(size: 8, time: 1, ensembleSize: e, valid: valid, seed: 11))
        // A left-out member does not change which of the others are drawn when it was not drawn itself.
        let all = Array(0..<e)
        let full = EnsembleSizeSummary.subsample(size: 4, time: 3, ensembleSize: e, valid: all, seed: 5).map { all[$0] }
        let outside = all.first { !full.contains($0) }!
        let fewer = all.filter { $0 != outside }
        XCTAssertEqual(EnsembleSizeSummary.subsample(size: 4, time: 3, ensembleSize: e, valid: fewer, seed: 5).map { fewer[$0] }, full)
    }

    /// Scores of each sub-ensemble straight from its members: the O(m²) CRPS, min and max, area-weighted.
    static func reference(members: [Float], m: Int, positions: [Int], truth: [Float], weights: [Double])
        -> (crps: Double, outlier: Double, inRange: Double) {
        var crps = 0.0, outlier = 0.0, total = 0.0
        for p in truth.indices {
            let x = positions.map { Double(members[p * m + $0]) }, y = Double(truth[p])
            let s = Double(x.count)
            let absolute = x.map { abs($0 - y) }.reduce(0, +) / s
            let pairwise = x.map { a in x.map { abs(a - $0) }.reduce(0, +) }.reduce(0, +) / (2 * s * s)
            crps += weights[p] * (absolute - pairwise)
            outlier += (y < x.min()! || y > x.max()!) ? weights[p] : 0
            total += weights[p]
        }
        return (crps / total, outlier / total, 1 - outlier / total)
    }

    func testScoresMatchAPlainReferenceOnTheSameSubsamples() throws {
        let file = try HDF5File.open(StatisticsFixtureTests.path)
        for name in ["m5-ties", "m50"] {
            let c = try StatisticsFixtureTests.Case(file: file, name: name)
            let weights = c.pointWeights
            for t in 0..<c.leads {
                let members = c.pointMajor(lead: t), truth = c.truth(lead: t)
                let valid = Array(0..<c.m)
                var summary = EnsembleSizeSummary(ensembleSize: c.m)
                let subsamples = summary.sizes.map { EnsembleSizeSummary.subsample(size: $0, time: t, ensembleSize: c.m, valid: valid, seed: c.seed) }
                // Two uneven slabs, as on two ranks.
                let cut = c.points / 3
                for range in [0..<cut, cut..<c.points] {
                    members[(range.lowerBound * c.m)..<(range.upperBound * c.m)].withUnsafeBufferPointer { x in
                        truth[range].withUnsafeBufferPointer { y in
                            weights[range].withUnsafeBufferPointer { w in
                                summary.add(members: x, memberCount: c.m, truth: y, pointWeights: w, subsamples: subsamples)
                            }
                        }
                    }
                }
                for (k, positions) in subsamples.enumerated() {
                    let expected = Self.reference(members: members, m: c.m, positions: positions, truth: truth, weights: weights)
                    let label = "\(name) lead \(t) size \(summary.sizes[k])"
                    XCTAssertEqual(summary.crps(k), expected.crps, accuracy: 1e-12 * expected.crps, label)
                    XCTAssertEqual(summary.outlierFraction(k), expected.outlier, accuracy: 1e-12, label)
                    XCTAssertEqual(summary.inRange(k), expected.inRange, accuracy: 1e-12, label)
                }
                // The whole ensemble is the ensemble itself: its CRPS and outlier fraction are the fixture's.
                let last = summary.sizes.count - 1
                XCTAssertEqual(summary.crps(last), try c.reference("crps_mean")[t], accuracy: 1e-12, name)
                XCTAssertEqual(summary.outlierFraction(last), try c.reference("outlier_fraction")[t], accuracy: 1e-12, name)
            }
        }
    }
}
