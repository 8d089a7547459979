import ComplexModule
import XCTest
@testable import Kernels

/// Tiled transposes against plain index loops, on sizes that are not multiples of the tile and with padded
/// strides.
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

    /// The source rows shared out over the rank's threads: the same matrix, whatever the split.
    func testParallelTransposeOnSeveralThreads() {
        let saved = RankThreads.count
        defer { RankThreads.count = saved }
        let rows = 721, columns = 300, sourceStride = 303, destinationStride = 725
        let source = (0..<(rows * sourceStride)).map { Double($0) }
        for threads in [1, 2, 3] {
            RankThreads.count = threads
            var destination = [Double](repeating: -1, count: columns * destinationStride)
            source.withUnsafeBufferPointer { s in
                destination.withUnsafeMutableBufferPointer { d in
                    parallelTranspose(s.baseAddress!, rows: rows, columns: columns, sourceStride: sourceStride,
                                      into: d.baseAddress!, destinationStride: destinationStride)
                }
            }
            var wrong = 0
            for c in 0..<columns {
                for r in 0..<rows where destination[c * destinationStride + r] != source[r * sourceStride + c] { wrong += 1 }
                for r in rows..<destinationStride where destination[c * destinationStride + r] != -1 { wrong += 1 }
            }
            XCTAssertEqual(wrong, 0, "\(threads) thread(s)")
        }
    }

    /// The 4 × 4 register tiles (8-byte elements: complex Float, Double) and the element-wise fallback
    /// (complex Double), with either side holding the fields, edges on both sides and padded strides.
    func testTransposeInTiles() {
        func check<E: Equatable>(_ make: (Int) -> E, _ padding: E, _ name: String) {
            for (rows, columns) in [(1, 1), (3, 70), (70, 3), (33, 65), (64, 64), (4, 9)] {
                for fields in [TransposeFields.rows, .columns] {
                    let sourceStride = columns + 3, destinationStride = rows + 2
                    let source = (0..<(rows * sourceStride)).map(make)
                    var destination = [E](repeating: padding, count: columns * destinationStride)
                    source.withUnsafeBufferPointer { s in
                        destination.withUnsafeMutableBufferPointer { d in
                            transposeInTiles(s.baseAddress!, rows: rows, columns: columns, sourceStride: sourceStride,
                                             into: d.baseAddress!, destinationStride: destinationStride, fieldsAre: fields)
                        }
                    }
                    var wrong = 0
                    for c in 0..<columns {
                        for r in 0..<rows where destination[c * destinationStride + r] != source[r * sourceStride + c] { wrong += 1 }
                        for r in rows..<destinationStride where destination[c * destinationStride + r] != padding { wrong += 1 }
                    }
                    XCTAssertEqual(wrong, 0, "\(name) \(rows) × \(columns), fields are \(fields)")
                }
            }
        }
        check({ Complex<Float>(Float($0), -Float($0)) }, Complex(-1, -1), "Complex<Float>")
        check({ Double($0) }, -1, "Double")
        check({ Complex<Double>(Double($0), 0.5) }, Complex(-1, -1), "Complex<Double>")
    }
}
