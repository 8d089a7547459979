import MPI
import XCTest

final class ModelLayoutTests: XCTestCase {
    func testParsing() throws {
        XCTAssertEqual(try ModelLayout(parsing: "h=2,w=1,channel=1"), ModelLayout(h: 2, w: 1, channel: 1))
        XCTAssertEqual(try ModelLayout(parsing: "channel=4, h=2"), ModelLayout(h: 2, w: 1, channel: 4))
        XCTAssertEqual(try ModelLayout(parsing: ""), ModelLayout())
        XCTAssertEqual(try ModelLayout(parsing: "w=3").size, 3)
    }

    func testBadLayoutsNameTheProblem() {
        for (text, fragment) in [("h=0", "'h' must be a positive integer, got '0'"),
                                 ("h=two", "got 'two'"),
                                 ("x=2", "'x=2' is not one of h=N, w=N, channel=N"),
                                 ("h=2,h=3", "'h' is given twice"),
                                 ("h2", "'h2' is not one of")] {
            XCTAssertThrowsError(try ModelLayout(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(error)")
                XCTAssertTrue("\(error)".contains("invalid layout '\(text)'"), "\(error)")
            }
        }
    }

    func testWorldSizeMismatchNamesBothNumbers() {
        let message = "\(LayoutError.worldDoesNotDivide(worldSize: 6, layout: ModelLayout(h: 4)))"
        XCTAssertTrue(message.contains("world of 6 ranks"), message)
        XCTAssertTrue(message.contains("model groups of 4 ranks"), message)
    }
}
