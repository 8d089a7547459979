import Foundation
@testable import Ensemble
import Kernels
import SFNO
import Sphere
import Storage
import XCTest

/// Members stepped together (`forward(members:count:)`, `stepNormalised(members:count:validTimes:)`): each
/// member's numbers are its single-member step's bit for bit, at B = 1, 3 and 8, whichever members share its
/// batch, at one and two threads, in fp32 and bf16, serial and split over a model group (over mpirun).
final class MemberBatchTests: XCTestCase {
    /// Eight different members from one input: scaled and shifted copies.
    func members(_ input: [Float]) -> [[Float]] {
        (0..<8).map { k in input.enumerated().map { i, v in v * (1 + 0.05 * Float(k)) + 0.01 * Float((i * 7 + k) % 13) } }
    }

    /// The batches: all of B = 1, 3 (members in a shuffled order) and 8.
    let batches: [[Int]] = [[0], [5], [6, 1, 3], [2, 7, 4], Array(0..<8)]

    func checkTorchHarmonics(_ path: String, input: [Float], precision: GEMMPrecision) throws {
        var c = try Checkpoint(path: path)
        c.gemmPrecision = precision
        let model = try TorchHarmonicsSFNO(c)
        let saved = RankThreads.count
        defer { RankThreads.count = saved }
        let states = members(input)
        for threads in [1, 2] {
            RankThreads.count = threads
            let single = try states.map { try model.forward($0) }
            for batch in batches {
                let out = try model.forward(members: batch.flatMap { states[$0] }, count: batch.count)
                let size = out.count / batch.count
                for (slot, member) in batch.enumerated() {
                    XCTAssertTrue(Array(out[(slot * size)..<((slot + 1) * size)]) == single[member],
                                  "\(path) \(precision) \(threads) thread(s): member \(member) in batch \(batch) differs from its single step")
                }
            }
        }
        print("member batches of \(path) (embed \(c.embedDim)) in \(precision): bit for bit at B = 1, 3, 8")
    }

    func checkMakani(_ name: String, precision: GEMMPrecision) throws {
        let reference = try SFNOFixtureTests.Reference(name)
        var c = try Checkpoint(path: reference.checkpoint)
        c.gemmPrecision = precision
        let model = try MakaniSFNO(c)
        let start = try reference.initialTime()
        var input = try reference.floats("input")
        model.normalise(&input)
        let states = members(input)
        let saved = RankThreads.count
        defer { RankThreads.count = saved }
        for threads in [1, 2] {
            RankThreads.count = threads
            let single = try states.map { state -> [Float] in
                var s = state
                try model.stepNormalised(&s, validTime: start)
                return s
            }
            for batch in batches {
                var together = batch.flatMap { states[$0] }
                try model.stepNormalised(members: &together, count: batch.count, validTimes: batch.map { _ in start })
                let size = together.count / batch.count
                for (slot, member) in batch.enumerated() {
                    XCTAssertTrue(Array(together[(slot * size)..<((slot + 1) * size)]) == single[member],
                                  "\(name) \(precision) \(threads) thread(s): member \(member) in batch \(batch) differs from its single step")
                }
            }
        }
        print("member batches of \(name) (embed \(c.embedDim)) in \(precision): bit for bit at B = 1, 3, 8")
    }

    func testMakaniHENS() throws {
        try checkMakani("makani-hens-33x64", precision: .fp32)
        try checkMakani("makani-hens-33x64", precision: .bf16)
    }

    func testMakaniDiagonal() throws { try checkMakani("makani-diag-33x64", precision: .fp32) }

    func testTorchHarmonicsFixtures() throws {
        for name in ["th-sfno-eq33x64", "th-sfno-lg32x64"] {
            let reference = try SFNOFixtureTests.Reference(name)
            try checkTorchHarmonics(reference.checkpoint, input: try reference.floats("input"), precision: .fp32)
        }
    }

    /// The demo network (embed 32: the transforms batch the members' fields).
    func testDemoNetwork() throws {
        let path = DemoCheckpointTests.demo.appendingPathComponent("demo-sfno-0.h5").path
        let reference = try HDF5File.open(DemoCheckpointTests.demo.appendingPathComponent("demo-sfno-0-reference.h5").path)
        let input = try reference.openDataset("input").read(Float.self)
        try checkTorchHarmonics(path, input: input, precision: .fp32)
        try checkTorchHarmonics(path, input: input, precision: .bf16)
    }

    // MARK: - Split over a model group

    /// The networks split over latitudes (layout (2,1,1), and (4,1,1) or two model groups of (2,1,1) at 4
    /// ranks), longitudes and channels: each rank's slab of a member is its single-member pass's bit for bit in
    /// batches of 1, 3 and 8 (`myriad selftest sfno --member-batches`).
    func testSplitOverLatitudesTwoRanks() throws { try checkSplit(ranks: 2, "h=2,w=1,channel=1", networks: Self.splitNetworks + [Self.demo]) }
    func testSplitOverLatitudesFourRanks() throws { try checkSplit(ranks: 4, "h=4,w=1,channel=1", networks: Self.splitNetworks) }
    func testTwoLatitudeSplitGroupsFourRanks() throws { try checkSplit(ranks: 4, "h=2,w=1,channel=1", networks: [Self.demo]) }
    func testSplitOverLongitudesAndChannels() throws {
        try checkSplit(ranks: 2, "h=1,w=2,channel=1", networks: ["makani-hens-33x64.h5", "th-sfno-eq33x64.h5"].map(SFNOFixtureTests.path))
        try checkSplit(ranks: 2, "h=1,w=1,channel=2", networks: ["makani-hens-33x64.h5", "th-sfno-eq33x64.h5"].map(SFNOFixtureTests.path))
    }

    static let splitNetworks = ["th-sfno-eq33x64", "th-sfno-lg32x64", "th-sfno-proj-eq33x64", "makani-hens-33x64", "makani-diag-33x64"]
        .map { SFNOFixtureTests.path("\($0).h5") }
    static var demo: String { DemoCheckpointTests.demo.appendingPathComponent("demo-sfno-0.h5").path }

    private func checkSplit(ranks: Int, _ layout: String, networks: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        for network in networks {
            let out = try MPIJob.succeed(ranks: ranks, ["selftest", "sfno", "--member-batches", "--layout", layout, "--checkpoint", network],
                                         file: file, line: line)
            print(out)
            let lines = out.split(separator: "\n").filter { $0.contains("B = 1, 3, 8") }
            XCTAssertTrue(!lines.isEmpty && lines.allSatisfy { $0.hasSuffix("bit for bit") } && out.contains("checks passed on \(ranks) rank"),
                          "\(network) at \(layout):\n\(out)", file: file, line: line)
        }
    }

    /// What `BlockTransforms.spectralPath` relies on to transform members together: with 16 or more fields per
    /// member, in multiples of 4, a field's coefficients (and an inverse's fields) do not depend on the batch
    /// around it. (With 4 or 10 fields per member they did, at 64 × 128: such members are transformed one by
    /// one.)
    func testTransformsAreBatchInvariantInMultiplesOfFour() throws {
        for (grid, nlat, nlon) in [(SphereGrid.equiangular, 33, 64), (.legendreGauss, 32, 64), (.equiangular, 64, 128)] {
            let sht = try RealSHT<Float>(grid: grid, nlat: nlat, nlon: nlon, lmax: nlat, mmax: nlat)
            for e in [16, 24, 32] {
                var generator = SplitMix64(seed: UInt64(e))
                let members = 3, points = nlat * nlon, spectrum = e * sht.lmax * sht.mmax
                let fields = (0..<(members * e * points)).map { _ in Float(generator.nextUnit() - 0.5) }
                let together = sht.forward(fields, batch: members * e)
                let back = sht.inverse(together, batch: members * e)
                for m in 0..<members {
                    let alone = sht.forward(Array(fields[(m * e * points)..<((m + 1) * e * points)]), batch: e)
                    XCTAssertTrue(alone == Array(together[(m * spectrum)..<((m + 1) * spectrum)]), "forward \(nlat)×\(nlon), \(e) fields, member \(m)")
                    let inverse = sht.inverse(Array(together[(m * spectrum)..<((m + 1) * spectrum)]), batch: e)
                    XCTAssertTrue(inverse == Array(back[(m * e * points)..<((m + 1) * e * points)]), "inverse \(nlat)×\(nlon), \(e) fields, member \(m)")
                }
            }
        }
    }

    // MARK: - Bred vectors

    /// Bred vectors breed in batches (`HemisphericCentredBredVector.breed(control:seed:pairs:…)` through
    /// `ForecastModel.step(members:count:validTimes:)`): every pair's dx is its single-pair breeding's bit for
    /// bit, through the demo network, for batches of 1, 3 and 4 pairs.
    func testBredVectorsBreedInBatches() throws {
        let path = DemoCheckpointTests.demo.appendingPathComponent("demo-sfno-0.h5").path
        let model = try TorchHarmonicsSFNO(checkpoint: path)
        let c = model.checkpoint
        let reference = try HDF5File.open(DemoCheckpointTests.demo.appendingPathComponent("demo-sfno-0-reference.h5").path)
        var x = try reference.openDataset("input").read(Float.self)
        model.denormalise(&x)
        let bv = try HemisphericCentredBredVector(channels: model.stateChannels, latitudes: c.latitudes, nlon: c.nlon,
                                                  rmse48h: [13.7, 0.457, 0.438, 3.78e-7], seededChannels: ["height"],
                                                  nonNegativeChannels: [])
        let start = Date(timeIntervalSince1970: 946_684_800)
        let control = try bv.control(analyses: [x], validTime: start) { try model.step(&$0, validTime: $1) }
        let single = try (0..<4).map { pair in
            try bv.breed(control: control, seed: 7, pair: pair) { try model.step(&$0, validTime: $1) }
        }
        for pairs in [[2], [3, 0, 1], [0, 1, 2, 3]] {
            var calls = 0
            let together = try bv.breed(control: control, seed: 7, pairs: pairs) { states, count, time in
                calls += 1
                try model.step(members: &states, count: count, validTimes: Array(repeating: time, count: count))
            }
            XCTAssertEqual(calls, bv.cycles, "one model call per cycle for all pairs")
            for (k, pair) in pairs.enumerated() {
                XCTAssertTrue(together[k] == single[pair], "pair \(pair) bred in the batch \(pairs) differs from its single breeding")
            }
        }
        XCTAssertNotEqual(single[0], single[1])
    }
}
