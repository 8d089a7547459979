import XCTest

/// Acceptance: the distributed SHT equals the serial one (≤ 1e-6 relative in Float) at 1, 2 and 4
/// ranks for (h, w) ∈ {(1,1), (2,1), (1,2), (2,2), (4,1), (1,4)}, uneven splits included; and with
/// two ensemble groups beside the model split.
final class DistributedSHTTests: XCTestCase {
    func testOneRank() throws { try run(ranks: 1, "h=1,w=1") }
    func testTwoRanksLatitudeSplit() throws { try run(ranks: 2, "h=2,w=1") }
    func testTwoRanksLongitudeSplit() throws { try run(ranks: 2, "h=1,w=2") }
    func testFourRanksBothSplits() throws { try run(ranks: 4, "h=2,w=2") }
    func testFourRanksLatitudeSplit() throws { try run(ranks: 4, "h=4,w=1") }
    func testFourRanksLongitudeSplit() throws { try run(ranks: 4, "h=1,w=4") }
    func testFourRanksTwoEnsembleGroups() throws { try run(ranks: 4, "h=2,w=1") }

    private func run(ranks: Int, _ layout: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let out = try MPIJob.succeed(ranks: ranks, ["selftest", "sht", "--layout", layout], file: file, line: line)
        XCTAssertTrue(out.contains("selftest sht: \(72 * ranks) checks passed on \(ranks) rank"), out, file: file, line: line)
    }
}
