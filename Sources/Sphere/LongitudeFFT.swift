import ComplexModule
import Kernels

/// The longitude FFTs of a transform: real rows of one length, eight at a time in SIMD lanes
/// (`LaneRealFFT`), in pieces shared out over the rank's threads.
///
/// A row's spectrum does not depend on the rows beside it, on its lane or on the piece it falls in, so the
/// batch path (`foldedSpectra`, which reads the lanes directly), the single-field path, the distributed
/// transform and any thread count all give a field the same bits.
final class LongitudeFFT<T: SHTScalar>: Sendable {
    let lanes: LaneRealFFT<T>
    var length: Int { lanes.length }
    var spectrumLength: Int { lanes.spectrumLength }

    init(length: Int) { lanes = LaneRealFFT(length: length) }

    /// Spectra of `rows` rows: `[rows][length]` → `[rows][length/2 + 1]`.
    func forward(_ input: UnsafePointer<T>, _ output: UnsafeMutablePointer<Complex<T>>, rows: Int) {
        forEachPiece(rows: rows) { piece in
            lanes.forward(input + piece.lowerBound * length, UnsafeMutableRawPointer(output + piece.lowerBound * spectrumLength),
                          rows: piece.count)
        }
    }

    /// Rows from their spectra: `[rows][length/2 + 1]` (kept) → `[rows][length]`. The imaginary parts of the
    /// orders 0 and (even length) `length/2` are ignored.
    func inverse(_ input: UnsafePointer<Complex<T>>, _ output: UnsafeMutablePointer<T>, rows: Int) {
        forEachPiece(rows: rows) { piece in
            lanes.inverse(UnsafeRawPointer(input + piece.lowerBound * spectrumLength), output + piece.lowerBound * length,
                          rows: piece.count)
        }
    }

    /// `body(rows)` for at most one piece of `0 ..< rows` per thread of the rank, whole groups of eight rows.
    private func forEachPiece(rows: Int, _ body: (Range<Int>) -> Void) {
        let threads = RankThreads.count
        guard threads > 1, rows > 8 else {
            if rows > 0 { body(0..<rows) }
            return
        }
        let step = ((rows + threads - 1) / threads + 7) / 8 * 8
        let pieces = stride(from: 0, to: rows, by: step).map { $0..<min($0 + step, rows) }
        shareOut(pieces.count) { part, parts in
            for k in stride(from: part, to: pieces.count, by: parts) { body(pieces[k]) }
        }
    }
}
