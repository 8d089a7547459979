import ComplexModule
import Foundation
import Kernels
import XCTest

/// The lane FFTs against a naive DFT in double precision and against FFTW, every length shape the grids use
/// (powers of two, 2^a 3^b 5^c, odd lengths, a prime factor ≥ 7), and a row's numbers independent of its lane
/// and of the rows beside it.
final class LaneRealFFTTests: XCTestCase {
    static let lengths = [1, 2, 3, 4, 6, 8, 10, 15, 16, 30, 45, 64, 90, 94, 96, 98, 180, 360, 1440]

    func testFloatAgainstNaiveDFT() { check(Float.self, tolerance: 1e-6) }
    func testDoubleAgainstNaiveDFT() { check(Double.self, tolerance: 1e-14) }

    /// FFTW, an independent implementation, on the 0.25° grid's rows.
    func testFloatAgainstFFTW() {
        let n = 1440, rows = 19
        let lane = LaneRealFFT<Float>(length: n)
        let fftw = RealFFT<Float>(length: n, batch: rows)
        let x = randomRows(Float.self, length: n, rows: rows, seed: 5)
        let ours = AlignedBuffer<Complex<Float>>(count: rows * lane.spectrumLength)
        let theirs = AlignedBuffer<Complex<Float>>(count: rows * lane.spectrumLength)
        lane.forward(x.pointer, UnsafeMutableRawPointer(ours.pointer), rows: rows)
        fftw.forward(x.pointer, theirs.pointer)
        var worst = 0.0, scale = 0.0
        for i in 0..<ours.count {
            worst = max(worst, Double((ours[i] - theirs[i]).length))
            scale = max(scale, Double(theirs[i].length))
        }
        XCTAssertLessThan(worst / scale, 5e-7, "forward against FFTW")
        let back = AlignedBuffer<Float>(count: rows * n), fftwBack = AlignedBuffer<Float>(count: rows * n)
        lane.inverse(UnsafeRawPointer(theirs.pointer), back.pointer, rows: rows)
        fftw.inverse(theirs.pointer, fftwBack.pointer)
        worst = 0; scale = 0
        for i in 0..<back.count {
            worst = max(worst, Double(abs(back[i] - fftwBack[i])))
            scale = max(scale, Double(abs(fftwBack[i])))
        }
        XCTAssertLessThan(worst / scale, 5e-7, "inverse against FFTW")
    }

    /// A row transformed alone, in any lane of a group, or among other rows: the same bits, both directions.
    func testRowsDoNotDependOnTheirNeighbours() {
        for n in [90, 96, 1440] {
            let lane = LaneRealFFT<Float>(length: n)
            let rows = 13
            let x = randomRows(Float.self, length: n, rows: rows, seed: UInt64(n))
            let all = AlignedBuffer<Complex<Float>>(count: rows * lane.spectrumLength)
            lane.forward(x.pointer, UnsafeMutableRawPointer(all.pointer), rows: rows)
            let allBack = AlignedBuffer<Float>(count: rows * n)
            lane.inverse(UnsafeRawPointer(all.pointer), allBack.pointer, rows: rows)
            for r in [0, 5, 8, 12] {
                let alone = AlignedBuffer<Complex<Float>>(count: lane.spectrumLength)
                lane.forward(x.pointer + r * n, UnsafeMutableRawPointer(alone.pointer), rows: 1)
                for k in 0..<lane.spectrumLength {
                    XCTAssertEqual(alone[k], all[r * lane.spectrumLength + k], "n=\(n) row \(r) k=\(k)")
                }
                let back = AlignedBuffer<Float>(count: n)
                lane.inverse(UnsafeRawPointer(alone.pointer), back.pointer, rows: 1)
                for j in 0..<n { XCTAssertEqual(back[j], allBack[r * n + j], "inverse n=\(n) row \(r) j=\(j)") }
            }
        }
    }

    /// Padded strides, and the imaginary parts at k = 0 and k = n/2 ignored by the inverse as by FFTW.
    func testStridesAndIgnoredImaginaryParts() {
        let n = 10, rows = 3, realStride = 12, complexStride = 7
        let lane = LaneRealFFT<Double>(length: n)
        let x = AlignedBuffer<Double>(count: realStride * rows)
        for b in 0..<rows { for j in 0..<n { x[b * realStride + j] = Double(j * (b + 1)) - 3 } }
        let spectrum = AlignedBuffer<Complex<Double>>(count: complexStride * rows)
        lane.forward(x.pointer, UnsafeMutableRawPointer(spectrum.pointer), rows: rows,
                     realStride: realStride, complexStride: complexStride)
        for b in 0..<rows {
            let reference = naiveDFT((0..<n).map { Double($0 * (b + 1)) - 3 })
            for k in 0...(n / 2) {
                XCTAssertEqual(spectrum[b * complexStride + k].real, reference[k].real, accuracy: 1e-12)
                XCTAssertEqual(spectrum[b * complexStride + k].imaginary, reference[k].imaginary, accuracy: 1e-12)
            }
            spectrum[b * complexStride] = Complex(spectrum[b * complexStride].real, 7)
            spectrum[b * complexStride + n / 2] = Complex(spectrum[b * complexStride + n / 2].real, -4)
        }
        let back = AlignedBuffer<Double>(count: realStride * rows)
        lane.inverse(UnsafeRawPointer(spectrum.pointer), back.pointer, rows: rows,
                     complexStride: complexStride, realStride: realStride)
        for b in 0..<rows {
            for j in 0..<n { XCTAssertEqual(back[b * realStride + j] / Double(n), x[b * realStride + j], accuracy: 1e-12) }
        }
    }

    private func randomRows<T: LaneFFTScalar>(_ type: T.Type, length: Int, rows: Int, seed: UInt64) -> AlignedBuffer<T> {
        var generator = SplitMix64(seed: seed)
        let x = AlignedBuffer<T>(count: length * rows)
        for i in 0..<x.count { x[i] = T(generator.nextUnit() * 2 - 1) }
        return x
    }

    private func check<T: LaneFFTScalar>(_ type: T.Type, tolerance: Double) {
        for n in Self.lengths {
            for rows in [1, 8, 11] {
                let lane = LaneRealFFT<T>(length: n)
                let x = randomRows(T.self, length: n, rows: rows, seed: UInt64(n * 31 + rows))
                let spectrum = AlignedBuffer<T>(count: 2 * lane.spectrumLength * rows)
                lane.forward(x.pointer, UnsafeMutableRawPointer(spectrum.pointer), rows: rows)
                let back = AlignedBuffer<T>(count: n * rows)
                for b in 0..<rows {
                    let row = (0..<n).map { Double(x[b * n + $0]) }
                    let reference = naiveDFT(row)
                    let scale = max(1, reference.map { $0.length }.max()!)
                    for k in 0..<lane.spectrumLength {
                        let at = 2 * (b * lane.spectrumLength + k)
                        XCTAssertEqual(Double(spectrum[at]), reference[k].real, accuracy: tolerance * scale, "n=\(n) k=\(k)")
                        XCTAssertEqual(Double(spectrum[at + 1]), reference[k].imaginary, accuracy: tolerance * scale, "n=\(n) k=\(k)")
                    }
                }
                // The inverse of the computed spectra: n · x.
                lane.inverse(UnsafeRawPointer(spectrum.pointer), back.pointer, rows: rows)
                for i in 0..<(n * rows) {
                    XCTAssertEqual(Double(back[i]) / Double(n), Double(x[i]), accuracy: tolerance * 4 * Double(max(n, 8)).squareRoot(),
                                   "inverse n=\(n)")
                }
            }
        }
    }
}
