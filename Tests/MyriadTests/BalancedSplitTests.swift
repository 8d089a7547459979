import MPI
import XCTest

final class BalancedSplitTests: XCTestCase {
    func testFirstRemainderPartsAreOneLarger() {
        XCTAssertEqual(splitSizes(10, parts: 4), [3, 3, 2, 2])
        XCTAssertEqual(splitSizes(721, parts: 4), [181, 180, 180, 180])
        XCTAssertEqual(splitSizes(3, parts: 5), [1, 1, 1, 0, 0])
        XCTAssertEqual(splitSizes(0, parts: 3), [0, 0, 0])
        XCTAssertEqual(splitSizes(8, parts: 1), [8])
    }

    func testRangesTileTheInterval() {
        for n in [0, 1, 7, 33, 721] {
            for parts in 1...6 {
                let ranges = (0..<parts).map { splitRange(n, parts: parts, index: $0) }
                XCTAssertEqual(ranges.map(\.count), splitSizes(n, parts: parts))
                XCTAssertEqual(ranges.first?.lowerBound, 0)
                XCTAssertEqual(ranges.last?.upperBound, n)
                for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
            }
        }
    }
}
