import Foundation
import XCTest
@testable import SFNO

/// The vectorised erf behind GELU against the float64 erf, GELU over arrays whose length is not a multiple
/// of the vector width against its definition, and a value's GELU independent of where it falls in the array.
final class ActivationTests: XCTestCase {
    func testVectorErfIsWithinItsBound() {
        var worst = 0.0
        for i in stride(from: -48_000, through: 48_000, by: 8) {
            let x = SIMD8<Float>((0..<8).map { Float(i + $0) / 8000 })   // [−6, 6]
            let y = vectorErf(x)
            for lane in 0..<8 { worst = max(worst, abs(Double(y[lane]) - erf(Double(x[lane])))) }
        }
        print("vectorErf: max |error| \(worst) on [−6, 6]")
        XCTAssertLessThanOrEqual(worst, 5e-7)
    }

    func testGELUAgainstDefinition() {
        let n = 1003
        var x = (0..<n).map { Float($0 - 501) / 50 }   // [−10, 10]
        let reference = x.map { 0.5 * Double($0) * (1 + erf(Double($0) / 2.0.squareRoot())) }
        Activation.gelu.apply(&x)
        for (got, want) in zip(x, reference) {
            XCTAssertEqual(Double(got), want, accuracy: 2e-6 * max(1, abs(want)))
        }
    }

    /// The tiles and thread ranges of a model-parallel rank cut the arrays elsewhere than the serial network
    /// does: each value must come out the same wherever the cut falls (the tail once went through glibc's
    /// erff, which rounds differently from the vectorised erf).
    func testGELUDoesNotDependOnWhereTheArrayIsCut() {
        let whole = (0..<203).map { Float($0 - 101) / 17 }
        var reference = whole
        Activation.gelu.apply(&reference)
        for cut in [1, 3, 7, 9, 100, 202] {
            var head = Array(whole[..<cut]), tail = Array(whole[cut...])
            Activation.gelu.apply(&head)
            Activation.gelu.apply(&tail)
            let differing = zip(head + tail, reference).filter { $0 != $1 }.count
            XCTAssertEqual(differing, 0, "cut at \(cut): \(differing) of \(reference.count) values differ")
        }
    }
}
