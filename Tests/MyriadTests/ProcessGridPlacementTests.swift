@testable import MPI
import XCTest

/// The rank arithmetic of the grid, against tables written out by hand.
final class ProcessGridPlacementTests: XCTestCase {
    func testLatitudeSplitOnFourRanks() {
        let layout = ModelLayout(h: 2)
        let placed = (0..<4).map { ProcessGrid.placement(worldRank: $0, layout: layout) }
        XCTAssertEqual(placed.map(\.ensembleIndex), [0, 0, 1, 1])
        XCTAssertEqual(placed.map(\.coordinates.h), [0, 1, 0, 1])
        XCTAssertEqual(placed.map(\.coordinates.modelRank), [0, 1, 0, 1])
    }

    func testChannelIsFastestThenLongitudeThenLatitude() {
        let layout = ModelLayout(h: 2, w: 3, channel: 2)  // 12 ranks per model group
        let p = ProcessGrid.placement(worldRank: 12 + 9, layout: layout)  // model rank 9 = (1·3 + 1)·2 + 1
        XCTAssertEqual(p.ensembleIndex, 1)
        XCTAssertEqual(p.coordinates, ModelCoordinates(h: 1, w: 1, channel: 1, modelRank: 9))
        let q = ProcessGrid.placement(worldRank: 4, layout: layout)  // (0·3 + 2)·2 + 0
        XCTAssertEqual(q.coordinates, ModelCoordinates(h: 0, w: 2, channel: 0, modelRank: 4))
    }
}
