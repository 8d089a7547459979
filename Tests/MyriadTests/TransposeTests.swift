import XCTest
@testable import Kernels

/// Tiled transposes and the 3-D axis swap against plain index loops, on sizes that are not multiples
/// of the tile and with padded strides.
final class TransposeTests: XCTestCase {
    /// Every tile shape: the default square tiles, whole columns or rows at a time, tiles larger than the
    /// matrix.
    func testTransposeWithStrides() {
        for (rows, columns) in [(1, 1), (3, 70), (70, 3), (33, 65), (64, 64)] {
          for tile in [(32, 32), (rows, 1), (1, columns), (8, columns), (5, 3), (100, 100)] {
            let sourceStride = columns + 3, destinationStride = rows + 2
            let source = (0..<(rows * sourceStride)).map { Double($0) }
            var destination = [Double](repeating: -1, count: columns * destinationStride)
            source.withUnsafeBufferPointer { s in
                destination.withUnsafeMutableBufferPointer { d in
                    transpose(s.baseAddress!, rows: rows, columns: columns, sourceStride: sourceStride,
                              into: d.baseAddress!, destinationStride: destinationStride, tile: tile)
                }
            }
            for r in 0..<rows { for c in 0..<columns {
                XCTAssertEqual(destination[c * destinationStride + r], source[r * sourceStride + c])
            } }
            // Padding is not written.
            for c in 0..<columns { for r in rows..<destinationStride { XCTAssertEqual(destination[c * destinationStride + r], -1) } }
          }
        }
    }

    func testPermuteSwapsOuterAndInnerAxes() {
        let saved = RankThreads.count
        defer { RankThreads.count = saved }
        // Shapes that take each path: one outer index, one inner index, the general case, and (on 1 and 3
        // threads) a general case large enough to be shared out over the threads by middle index.
        for (outer, middle, inner, innerPad, outerPad, threads) in [
            (1, 5, 7, 0, 0, 1), (1, 5, 7, 3, 0, 1), (6, 4, 1, 0, 0, 1), (6, 4, 1, 0, 2, 1), (3, 5, 40, 2, 1, 1),
            (37, 3, 33, 0, 0, 1), (64, 37, 100, 2, 3, 1), (64, 37, 100, 2, 3, 3),
        ] {
            RankThreads.count = threads
            let innerStride = inner + innerPad, outerStride = outer + outerPad
            let source = (0..<(outer * middle * innerStride)).map { Float($0) }
            var destination = [Float](repeating: -1, count: inner * middle * outerStride)
            source.withUnsafeBufferPointer { s in
                destination.withUnsafeMutableBufferPointer { d in
                    permute(s.baseAddress!, outer: outer, middle: middle, inner: inner, innerStride: innerStride,
                            into: d.baseAddress!, outerStride: outerStride)
                }
            }
            for o in 0..<outer { for j in 0..<middle { for i in 0..<inner {
                XCTAssertEqual(destination[(i * middle + j) * outerStride + o], source[(o * middle + j) * innerStride + i],
                               "outer \(outer) middle \(middle) inner \(inner), \(threads) thread(s)")
            } } }
        }
    }
}
