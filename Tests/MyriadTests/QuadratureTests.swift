import Foundation
import XCTest
@testable import Sphere

/// Quadrature rules against their defining properties and closed forms.
final class QuadratureTests: XCTestCase {
    func testLegendreGaussSmallCasesClosedForm() {
        let two = Quadrature(grid: .legendreGauss, nlat: 2)
        XCTAssertEqual(two.cosTheta[0], 1 / 3.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(two.cosTheta[1], -1 / 3.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(two.weights[0], 1, accuracy: 1e-15)
        XCTAssertEqual(two.weights[1], 1, accuracy: 1e-15)
        let three = Quadrature(grid: .legendreGauss, nlat: 3)
        XCTAssertEqual(three.cosTheta[0], (3.0 / 5).squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(three.cosTheta[1], 0)
        XCTAssertEqual(three.weights[0], 5.0 / 9, accuracy: 1e-15)
        XCTAssertEqual(three.weights[1], 8.0 / 9, accuracy: 1e-15)
    }

    /// Gauss–Legendre with n nodes integrates x^p exactly for p ≤ 2n − 1; Clenshaw–Curtis for p ≤ n − 1.
    func testExactness() {
        for n in [5, 16, 33, 90, 721] {
            for (grid, degree) in [(SphereGrid.legendreGauss, 2 * n - 1), (.equiangular, n - 1)] {
                let q = Quadrature(grid: grid, nlat: n)
                for p in stride(from: 0, through: min(degree, 60), by: 1) {
                    let exact = p % 2 == 1 ? 0 : 2 / Double(p + 1)
                    let sum = zip(q.cosTheta, q.weights).reduce(0.0) { $0 + $1.1 * pow($1.0, Double(p)) }
                    XCTAssertEqual(sum, exact, accuracy: 2e-14, "\(grid) n=\(n) x^\(p)")
                }
            }
        }
    }

    func testNodesRunNorthToSouthAndMirror() {
        for grid in SphereGrid.allCases {
            for n in [4, 7, 721] {
                let q = Quadrature(grid: grid, nlat: n)
                XCTAssertTrue(zip(q.cosTheta, q.cosTheta.dropFirst()).allSatisfy { $0 > $1 }, "\(grid) \(n)")
                for k in 0..<n {
                    XCTAssertEqual(q.cosTheta[k], -q.cosTheta[n - 1 - k], "\(grid) \(n) mirror")
                    XCTAssertEqual(q.weights[k], q.weights[n - 1 - k], "\(grid) \(n) weights mirror")
                }
            }
        }
        let era5 = Quadrature(grid: .equiangular, nlat: 721)
        XCTAssertEqual(era5.latitudesDegrees[0], 90, accuracy: 1e-12)
        XCTAssertEqual(era5.latitudesDegrees[360], 0, accuracy: 1e-12)
        XCTAssertEqual(era5.latitudesDegrees[1], 89.75, accuracy: 1e-12)
    }
}
