import XCTest

/// `myriad info` under mpirun: the versions and the grid table as the user sees them.
final class InfoCommandTests: XCTestCase {
    /// Acceptance: 4 ranks with layout (2,1,1) give 2 ensemble groups, model groups 0–1 and 2–3,
    /// ensemble communicators strided {0,2} and {1,3}.
    func testFourRanksWithLatitudeSplit() throws {
        let out = try MPIJob.succeed(ranks: 4, ["info", "--layout", "h=2,w=1,channel=1"])
        XCTAssertTrue(out.contains("MPI        Open MPI"), out)
        XCTAssertTrue(out.contains("HDF5       ") && out.contains("parallel (MPI-IO): yes"), out)
        XCTAssertTrue(out.contains("FFTW       fftw-3"), out)
        XCTAssertTrue(out.contains("OpenBLAS   OpenBLAS"), out)
        XCTAssertTrue(out.contains("4 ranks = 2 ensemble groups × model layout (h=2, w=1, channel=1)"), out)
        XCTAssertTrue(out.contains("ensemble group 0: world ranks 0-1"), out)
        XCTAssertTrue(out.contains("ensemble group 1: world ranks 2-3"), out)
        let rows = tableRows(out)
        XCTAssertEqual(rows.count, 4)
        // rank, node, group, model, h, w, channel, h-group, w-group, channel-group, spatial, model, ensemble
        XCTAssertEqual(rows[0].without(1), ["0", "0", "0", "0", "0", "0", "0-1", "0", "0", "0-1", "0-1", "0,2"])
        XCTAssertEqual(rows[1].without(1), ["1", "0", "1", "1", "0", "0", "0-1", "1", "1", "0-1", "0-1", "1,3"])
        XCTAssertEqual(rows[2].without(1), ["2", "1", "0", "0", "0", "0", "2-3", "2", "2", "2-3", "2-3", "0,2"])
        XCTAssertEqual(rows[3].without(1), ["3", "1", "1", "1", "0", "0", "2-3", "3", "3", "2-3", "2-3", "1,3"])
    }

    /// Channel fastest inside a model group: (1,2,2) on 4 ranks puts channel pairs {0,1}, {2,3} and
    /// longitude pairs {0,2}, {1,3}.
    func testFourRanksWithLongitudeAndChannelSplit() throws {
        let out = try MPIJob.succeed(ranks: 4, ["info", "--layout", "w=2,channel=2"])
        let rows = tableRows(out)
        XCTAssertEqual(rows.map { $0[5] }, ["0", "0", "1", "1"], "w index")
        XCTAssertEqual(rows.map { $0[6] }, ["0", "1", "0", "1"], "channel index")
        XCTAssertEqual(rows.map { $0[8] }, ["0,2", "1,3", "0,2", "1,3"], "w groups")
        XCTAssertEqual(rows.map { $0[9] }, ["0-1", "0-1", "2-3", "2-3"], "channel groups")
        XCTAssertEqual(rows.map { $0[10] }, ["0,2", "1,3", "0,2", "1,3"], "spatial groups")
        XCTAssertEqual(rows.map { $0[12] }, ["0", "1", "2", "3"], "ensemble groups (one model group)")
    }

    func testTwoRanksDefaultLayout() throws {
        let out = try MPIJob.succeed(ranks: 2, ["info"])
        XCTAssertTrue(out.contains("2 ranks = 2 ensemble groups × model layout (h=1, w=1, channel=1)"), out)
        XCTAssertEqual(tableRows(out).map { $0[12] }, ["0-1", "0-1"])
    }

    private func tableRows(_ out: String) -> [[String]] {
        out.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            .filter { $0.count == 13 && Int($0[0]) != nil }
    }
}

private extension Array where Element == String {
    func without(_ index: Int) -> [String] { enumerated().filter { $0.offset != index }.map(\.element) }
}
