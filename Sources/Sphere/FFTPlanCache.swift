import ComplexModule
import Foundation
import Kernels

/// Real FFT plans of one length, one per number of rows, made on first use and shared by every caller.
///
/// Plans are made with FFTW_ESTIMATE, never MEASURE: a measured plan can pick a different algorithm in each
/// process, and so round differently — members must be bitwise the same in any layout and on any rerun.
final class FFTPlanCache<T: FFTScalar>: @unchecked Sendable {
    let length: Int
    private var plans: [Int: RealFFT<T>] = [:]
    private let lock = NSLock()

    init(length: Int) { self.length = length }

    /// Forward FFTs of `rows` rows (`[rows][length]` → `[rows][length/2 + 1]`), in pieces shared out over the
    /// rank's threads. Both arrays 64-byte aligned.
    func forward(_ input: UnsafeMutablePointer<T>, _ output: UnsafeMutablePointer<Complex<T>>, rows: Int) {
        let spectrum = length / 2 + 1
        forEachPiece(rows: rows) { piece in
            plan(rows: piece.count).forward(input + piece.lowerBound * length, output + piece.lowerBound * spectrum)
        }
    }

    /// Inverse FFTs of `rows` rows (`[rows][length/2 + 1]`, destroyed → `[rows][length]`), in pieces shared
    /// out over the rank's threads. Both arrays 64-byte aligned.
    func inverse(_ input: UnsafeMutablePointer<Complex<T>>, _ output: UnsafeMutablePointer<T>, rows: Int) {
        let spectrum = length / 2 + 1
        forEachPiece(rows: rows) { piece in
            plan(rows: piece.count).inverse(input + piece.lowerBound * spectrum, output + piece.lowerBound * length)
        }
    }

    /// `body(rows)` for at most one piece of `0 ..< rows` per thread of the rank. Pieces are whole multiples of
    /// 16 rows, so each starts on a 64-byte boundary as the arrays the plans were made on, and none is a single
    /// row: FFTW transforms a lone row with other codelets than a batch and rounds it differently, while a
    /// batch of two rows or more gives every row the numbers of the whole batch (measured at lengths 64 to
    /// 1440): the results do not depend on the thread count.
    private func forEachPiece(rows: Int, _ body: (Range<Int>) -> Void) {
        let threads = RankThreads.count
        guard threads > 1, rows >= 32 else {
            if rows > 0 { body(0..<rows) }
            return
        }
        let step = ((rows + threads - 1) / threads + 15) / 16 * 16
        var pieces = stride(from: 0, to: rows, by: step).map { $0..<min($0 + step, rows) }
        if pieces.count > 1, pieces[pieces.count - 1].count == 1 {
            pieces[pieces.count - 2] = pieces[pieces.count - 2].lowerBound..<rows
            pieces.removeLast()
        }
        shareOut(pieces.count) { part, parts in
            for k in stride(from: part, to: pieces.count, by: parts) { body(pieces[k]) }
        }
    }

    func plan(rows: Int) -> RealFFT<T> {
        lock.lock()
        defer { lock.unlock() }
        if let plan = plans[rows] { return plan }
        let plan = RealFFT<T>(length: length, batch: rows, rigor: .estimate)
        plans[rows] = plan
        return plan
    }
}
