import Foundation
import MPI
import SFNO
import XCTest

/// The memory the plan prints (`NetworkMemory`, worked out from a checkpoint's description): its weights are
/// what a serial network actually reads, and its activations grow by the same amount per member.
final class NetworkMemoryTests: XCTestCase {
    func testWeightsAreWhatTheSerialNetworkReads() throws {
        let paths = ["th-sfno-eq33x64", "th-sfno-lg32x64", "th-sfno-proj-eq33x64", "makani-hens-33x64", "makani-diag-33x64"]
            .map { SFNOFixtureTests.path("\($0).h5") } + [DemoCheckpointTests.demo.appendingPathComponent("demo-sfno-0.h5").path]
        for path in paths {
            let network = try loadSFNONetwork(checkpoint: path)
            let memory = NetworkMemory(network.checkpoint, layout: ModelLayout(), members: 1, precision: .fp32, threads: 1)
            XCTAssertEqual(memory.weightBytes, network.weightBytes, path)
            let bf16 = NetworkMemory(network.checkpoint, layout: ModelLayout(), members: 1, precision: .bf16, threads: 1)
            XCTAssertGreaterThan(bf16.weightBytes, memory.weightBytes, "\(path): bf16 keeps packed copies of the 1×1 weights")
            let one = memory.activationBytes
            let (three, eight) = [3, 8].map {
                NetworkMemory(network.checkpoint, layout: ModelLayout(), members: $0, precision: .fp32, threads: 1).activationBytes
            }.splat
            XCTAssertEqual(eight - three, 5 * (three - one) / 2, "\(path): activations linear in the members")
            // Split over h = 2, the rank holds about half the spectral weights and activations.
            let half = NetworkMemory(network.checkpoint, layout: try ModelLayout(parsing: "h=2,w=1,channel=1"), members: 1,
                                     precision: .fp32, threads: 1)
            XCTAssertLessThan(half.weightBytes, memory.weightBytes, path)
            XCTAssertLessThan(half.activationBytes, memory.activationBytes, path)
        }
    }
}

private extension Array {
    var splat: (Element, Element) { (self[0], self[1]) }
}
