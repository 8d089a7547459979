import Kernels
import MPI
import XCTest
@testable import SFNO

/// The pointwise layers tile a grid in whole latitude rows at fixed rows of the whole grid
/// (`Workspace.tileRows`), so that a model-parallel rank whose slab starts on a tile boundary computes the
/// serial network's numbers bit for bit, and the tiles shared out over a rank's threads give the same numbers
/// on any number of threads: here a slab's output against the same rows of the whole grid's, for each kind of
/// pointwise layer on one and three threads, and the rule's rows and alignment for the grids Myriad runs on.
final class TileReproducibilityTests: XCTestCase {
    /// The demo's model grid: 64 × 128, tiles of 8 rows; the slab is the lower half (a rank at h = 2).
    let (nlat, nlon) = (64, 128)
    var slabRows: Range<Int> { 32..<64 }

    func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Double(state >> 11) / Double(1 << 53) * 2 - 1)
        }
    }

    func conv(_ outputs: Int, _ inputs: Int, bias: Bool, seed: UInt64) -> Conv1x1 {
        Conv1x1(weight: values(outputs * inputs, seed: seed), bias: bias ? values(outputs, seed: seed + 1) : nil,
                outChannels: outputs, inChannels: inputs)
    }

    /// The slab's rows of `[channels][nlat][nlon]`.
    func slab(_ full: [Float], channels: Int) -> [Float] {
        (0..<channels).flatMap { c in full[(c * nlat + slabRows.lowerBound) * nlon ..< (c * nlat + slabRows.upperBound) * nlon] }
    }

    /// `layer(x, points, tile, y)` on the whole grid and on the slab, on one and on three threads: the slab's
    /// output must be the whole grid's rows bit for bit, and the three-thread results the one-thread ones.
    func assertSlabReproducesWholeGrid(_ name: String, inputs: Int, outputs: Int,
                                       _ layer: (UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        let saved = RankThreads.count
        defer { RankThreads.count = saved }
        let tile = Workspace.tile(nlat: nlat, nlon: nlon)
        let x = values(inputs * nlat * nlon, seed: 11)
        var results: [[Float]] = []
        for threads in [1, 3] {
            RankThreads.count = threads
            var whole = [Float](repeating: 0, count: outputs * nlat * nlon)
            whole.withUnsafeMutableBufferPointer { y in layer(x, nlat * nlon, tile, y.baseAddress!) }
            let xs = slab(x, channels: inputs)
            var part = [Float](repeating: 0, count: outputs * slabRows.count * nlon)
            part.withUnsafeMutableBufferPointer { y in layer(xs, slabRows.count * nlon, tile, y.baseAddress!) }
            let reference = slab(whole, channels: outputs)
            let differing = zip(part, reference).filter { $0 != $1 }.count
            XCTAssertEqual(differing, 0, "\(name), \(threads) thread(s): \(differing) of \(part.count) values of the slab differ from the whole grid's")
            results.append(whole)
        }
        XCTAssertTrue(results[0] == results[1], "\(name): three threads differ from one")
    }

    /// Three sets of work arrays of `[hidden][tile]` (one per thread).
    func withTileWork(hidden: Int, spare: Bool = false, _ body: (TileWork) -> Void) {
        let stride = hidden * Workspace.tile(nlat: nlat, nlon: nlon)
        var memory = [Float](repeating: 0, count: 2 * 3 * stride)
        memory.withUnsafeMutableBufferPointer { m in
            body(TileWork(hidden: m.baseAddress!, spare: spare ? m.baseAddress! + 3 * stride : nil, stride: stride, sets: 3))
        }
    }

    func testSingleConvolutionEncoderOnASlab() {
        // The torch-harmonics encoder and decoder: one convolution each (8 → 32 and 32 → 8 channels). Applied
        // in one call over the points, 8 in and out channels differed on about 60 % of the slab's values.
        for (inputs, outputs) in [(8, 32), (32, 8)] {
            let layer = EncoderDecoder(hidden: [], output: conv(outputs, inputs, bias: true, seed: 3), activation: .gelu)
            assertSlabReproducesWholeGrid("encoder \(inputs) → \(outputs)", inputs: inputs, outputs: outputs) { x, points, tile, y in
                withTileWork(hidden: 1) { layer.apply(x, points: points, work: $0, tile: tile, into: y) }
            }
        }
    }

    func testEncoderWithHiddenLayerOnASlab() {
        let layer = EncoderDecoder(hidden: [conv(48, 8, bias: true, seed: 5), conv(48, 48, bias: true, seed: 6)],
                                   output: conv(32, 48, bias: false, seed: 7), activation: .gelu)
        assertSlabReproducesWholeGrid("makani encoder 8 → 48 → 48 → 32", inputs: 8, outputs: 32) { x, points, tile, y in
            withTileWork(hidden: 48, spare: true) { layer.apply(x, points: points, work: $0, tile: tile, into: y) }
        }
    }

    func testMLPOnASlab() {
        let mlp = MLP(fc1: conv(64, 32, bias: true, seed: 13), fc2: conv(32, 64, bias: false, seed: 17), activation: .gelu)
        assertSlabReproducesWholeGrid("MLP 32 → 64 → 32", inputs: 32, outputs: 32) { x, points, tile, y in
            y.update(from: x, count: 32 * points)
            withTileWork(hidden: 64) { mlp.applyInPlace(y, points: points, work: $0, tile: tile) }
        }
    }

    func testLinearSkipOnASlab() {
        // makani's outer skip and residual transform, torch-harmonics' residual projection: added to an output.
        let skip = conv(32, 32, bias: false, seed: 19)
        assertSlabReproducesWholeGrid("linear skip 32 → 32", inputs: 32, outputs: 32) { x, points, tile, y in
            y.update(repeating: 0.5, count: 32 * points)
            skip.apply(x, points: points, into: y, accumulate: true, tile: tile)
        }
    }

    /// Rows per tile: the largest power of two R with R·nlon ≤ 1024 and 4R ≤ nlat, at least 1.
    func testTileRowsOfTheGridsMyriadRunsOn() {
        let cases: [(Int, Int, Int)] = [
            (64, 128, 8), (32, 64, 8),        // the demo's model and internal grids
            (721, 1440, 1), (361, 720, 1),    // HENS (0.25°) and its internal grid
            (181, 360, 2), (91, 180, 4),      // bench/sfno case (a)
            (33, 64, 8), (17, 32, 4), (16, 32, 4), (3, 4, 1),
        ]
        for (nlat, nlon, rows) in cases {
            XCTAssertEqual(Workspace.tileRows(nlat: nlat, nlon: nlon), rows, "\(nlat) × \(nlon)")
        }
    }

    /// Which layouts reproduce the serial network: h-only splits into whole tiles.
    func testLayoutsThatTileAsTheSerialNetwork() throws {
        let demo = try Checkpoint(path: RunCommandTests.checkpoint(0), weights: false)   // 64 × 128, internal 32 × 64
        XCTAssertTrue(Workspace.tilesAlign(demo, layout: ModelLayout()))
        XCTAssertTrue(Workspace.tilesAlign(demo, layout: ModelLayout(h: 2)))
        XCTAssertTrue(Workspace.tilesAlign(demo, layout: ModelLayout(h: 4)))
        XCTAssertFalse(Workspace.tilesAlign(demo, layout: ModelLayout(h: 8)), "4 rows per rank on the internal grid, tiles of 8")
        XCTAssertFalse(Workspace.tilesAlign(demo, layout: ModelLayout(h: 3)), "uneven split")
        XCTAssertFalse(Workspace.tilesAlign(demo, layout: ModelLayout(w: 2)), "rows cut")
        XCTAssertFalse(Workspace.tilesAlign(demo, layout: ModelLayout(channel: 2)), "sums cut")
    }
}
