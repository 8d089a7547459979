import Foundation
import Kernels
import ModelInterface
import SFNO
import XCTest

/// The networks with `compute.precision: bf16` (1×1 convolutions as bfloat16 GEMMs, float32 elsewhere) against
/// the same networks in float32, step by step on the SFNO fixtures (tools/fixtures/sfno.py).
///
/// The bound is what bfloat16 inputs should cost: each GEMM input is off by up to 2⁻⁸ relative (≈ 4e-3), and
/// errors of random sign over a network's 8–14 GEMMs add up to about 1e-2 of the output after one step
/// (measured 0.5–1.1e-2 per channel on these fixtures, growing to 0.8–3.1e-2 after three); the bound,
/// 2e-2 × step, is about twice that, and far below a wrong network (relative error ~1). Above 1e-4: the bf16
/// path must really be taken (float32 reorderings alone give ~1e-6).
final class SFNOPrecisionTests: XCTestCase {
    static func bound(step: Int) -> Double { 2e-2 * Double(step) }

    func checkPrecision(_ name: String, makani: Bool) throws {
        let reference = try SFNOFixtureTests.Reference(name)
        var c32 = try Checkpoint(path: reference.checkpoint)
        c32.gemmPrecision = .fp32
        var c16 = c32
        c16.gemmPrecision = .bf16
        let fp32: any ForecastModel = makani ? try MakaniSFNO(c32) : try TorchHarmonicsSFNO(c32)
        let bf16: any ForecastModel = makani ? try MakaniSFNO(c16) : try TorchHarmonicsSFNO(c16)
        let channels = fp32.stateChannels.count
        let start = (try? reference.initialTime()) ?? Date(timeIntervalSince1970: 0)
        var a = try reference.floats("input"), b = a
        fp32.normalise(&a)
        bf16.normalise(&b)
        for step in 1...reference.steps {
            let time = start + Double((step - 1) * fp32.stepHours * 3600)
            try fp32.stepNormalised(&a, validTime: time)
            try bf16.stepNormalised(&b, validTime: time)
            let error = worstChannelError(b, a, channels: channels)
            print("SFNO precision \(name) step \(step): bf16 against fp32, worst channel relative L2 \(error)")
            XCTAssertLessThanOrEqual(error, Self.bound(step: step), "\(name) step \(step)")
            XCTAssertGreaterThan(error, 1e-4, "\(name) step \(step): bf16 gives the float32 numbers")
        }
    }

    func testMakaniHENS() throws { try checkPrecision("makani-hens-33x64", makani: true) }
    func testMakaniDiagonal() throws { try checkPrecision("makani-diag-33x64", makani: true) }
    func testTorchHarmonicsEquiangular() throws { try checkPrecision("th-sfno-eq33x64", makani: false) }
    func testTorchHarmonicsLegendreGauss() throws { try checkPrecision("th-sfno-lg32x64", makani: false) }

    /// bf16 keeps the thread-count independence of float32: two threads give one thread's numbers bit for bit
    /// (each GEMM on one thread, its scratchpad its own).
    func testTwoThreadsAgree() throws {
        let reference = try SFNOFixtureTests.Reference("makani-hens-33x64")
        var c = try Checkpoint(path: reference.checkpoint)
        c.gemmPrecision = .bf16
        let model = try MakaniSFNO(c)
        let start = try reference.initialTime()
        let saved = RankThreads.count
        defer { RankThreads.count = saved }
        var results = [[Float]]()
        for threads in [1, 2] {
            RankThreads.count = threads
            var state = try reference.floats("input")
            model.normalise(&state)
            for step in 0..<3 { try model.stepNormalised(&state, validTime: start + Double(step * 6 * 3600)) }
            results.append(state)
        }
        XCTAssertTrue(results[1] == results[0],
                      "bf16 on 2 threads differs from 1 (worst channel \(worstChannelError(results[1], results[0], channels: 10)))")
    }
}
