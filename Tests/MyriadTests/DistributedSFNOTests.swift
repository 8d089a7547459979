import XCTest

/// Acceptance (issue 5): the model-parallel SFNO equals the serial one to ≤ 1e-5 relative L2 over three
/// autoregressive steps (bit for bit on one rank and on latitude splits into whole tiles, `evenRows`), for
/// the torch-harmonics fixtures (instance norm and learnable-lat embedding; layer norm, spectral embedding
/// and hard thresholding on Legendre–Gauss; a 7 → 5 channel projection) and the makani fixtures (HENS-like
/// dhconv with cos zenith and static channels; diagonal filter, split by l and m) under the layouts
/// (h, w, channel) ∈ {(1,1,1), (2,1,1), (1,2,1), (2,2,1), (4,1,1), (1,1,2), (2,1,2), (1,2,2), (1,1,4)} and with
/// two model groups beside each other. Each step's counted bytes equal docs/sfno.md's communication-volume
/// formula where the splits divide evenly (within 5 % otherwise).
final class DistributedSFNOTests: XCTestCase {
    static let networks = ["th-sfno-eq33x64", "th-sfno-lg32x64", "th-sfno-proj-eq33x64", "makani-hens-33x64", "makani-diag-33x64"]

    func testOneRank() throws { try run(ranks: 1, "h=1,w=1,channel=1", bitForBit: Self.networks) }
    func testTwoRanksLatitudeSplit() throws { try run(ranks: 2, "h=2,w=1,channel=1", bitForBit: Self.evenRows) }
    func testTwoRanksLongitudeSplit() throws { try run(ranks: 2, "h=1,w=2,channel=1") }
    func testFourRanksBothSplits() throws { try run(ranks: 4, "h=2,w=2,channel=1") }
    func testFourRanksLatitudeSplit() throws { try run(ranks: 4, "h=4,w=1,channel=1", bitForBit: Self.evenRows) }
    func testFourRanksTwoModelGroups() throws { try run(ranks: 4, "h=2,w=1,channel=1", bitForBit: Self.evenRows) }
    func testTwoRanksChannelSplit() throws { try run(ranks: 2, "h=1,w=1,channel=2") }
    func testFourRanksLatitudeAndChannelSplit() throws { try run(ranks: 4, "h=2,w=1,channel=2") }
    func testFourRanksLongitudeAndChannelSplit() throws { try run(ranks: 4, "h=1,w=2,channel=2") }
    func testFourRanksChannelSplit() throws { try run(ranks: 4, "h=1,w=1,channel=4") }

    /// The network whose grids (32 × 64, internal 16 × 32) split into parts of whole tiles at h = 2 and 4: its
    /// latitude splits must reproduce the serial network bit for bit (`reproducesSerial`).
    static let evenRows = ["th-sfno-lg32x64"]

    private func run(ranks: Int, _ layout: String, bitForBit: [String] = [], file: StaticString = #filePath,
                     line: UInt = #line) throws {
        for name in Self.networks {
            let out = try MPIJob.succeed(ranks: ranks, ["selftest", "sfno", "--layout", layout, "--steps", "3",
                                                        "--checkpoint", SFNOFixtureTests.path("\(name).h5")],
                                         file: file, line: line)
            print(out)
            XCTAssertTrue(out.contains("selftest sfno: ") && out.contains("checks passed on \(ranks) rank"), out, file: file, line: line)
            if bitForBit.contains(name) {
                let steps = out.split(separator: "\n").filter { $0.contains("step") && $0.contains("relative L2 error") }
                XCTAssertTrue(!steps.isEmpty && steps.allSatisfy { $0.contains("(bit for bit)") },
                              "\(name) at \(layout) should equal the serial network bit for bit:\n\(out)", file: file, line: line)
            }
        }
    }
}
