import Ensemble
import MPI
import Sphere
@testable import Statistics
import XCTest

/// Which errors `runSPMD` prints once (`SameOnEveryRank`): those thrown only where every rank does the same
/// work on the same inputs. An error that one member's ranks raise alone must not be one, or its report
/// would wait out the wrapper's agreement timeout before the job ends.
final class SameOnEveryRankTests: XCTestCase {
    func testErrorsRaisedAlikeOnEveryRankArePrintedOnce() {
        let alike: [any Error] = [
            PerturbationError("bred vector: need at least one cycle, got 0"),
            SphereError("lmax 34 is outside 1 ... nlat = 33"),
            StatisticsFileError(path: "climate.h5", problem: "cannot open the EFI climate file"),
        ]
        for error in alike { XCTAssertTrue(error is SameOnEveryRank, "\(type(of: error)) is raised alike on every rank") }
    }

    func testErrorsOfOneMembersRanksAreNot() {
        let error: any Error = PerturbationStateError("bred vector: the model returned 3 values, expected 4")
        XCTAssertFalse(error is SameOnEveryRank, "raised only by the ranks that hold the member")
    }

    /// The SHT's refusal of a bad truncation, as every rank raises it while building a transform.
    func testTheSHTsRefusalIsSameOnEveryRank() {
        XCTAssertThrowsError(try RealSHT<Double>(grid: .equiangular, nlat: 33, nlon: 64, lmax: 34)) { error in
            XCTAssertTrue(error is SameOnEveryRank, "\(type(of: error))")
        }
    }
}
