@testable import Ensemble
import XCTest

/// The small dense solve behind `myriad calibrate`'s Newton steps on the per-variable response matrix.
final class CalibrationSolveTests: XCTestCase {
    /// A system whose first pivot is zero (so the rows must be swapped), against its solution worked by hand.
    func testSolvesWithPivoting() throws {
        // [0 2 1; 1 1 0; 2 0 3] (1, 2, 3) = (7, 3, 11).
        let a: [Double] = [0, 2, 1,
                           1, 1, 0,
                           2, 0, 3]
        let x = try XCTUnwrap(PerturbationCalibration.solve(a, [7, 3, 11], n: 3))
        for (got, want) in zip(x, [1.0, 2, 3]) { XCTAssertEqual(got, want, accuracy: 1e-12) }
    }

    /// A singular matrix (two equal rows: two variables that answer the targets alike) has no step.
    func testSingularMatrixHasNoSolution() {
        XCTAssertNil(PerturbationCalibration.solve([1, 2, 1, 2], [1, 1], n: 2))
    }
}
