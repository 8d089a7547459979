import ComplexModule
import Foundation
import Kernels
import XCTest

/// FFTW batches against a naive DFT computed in double precision.
final class RealFFTTests: XCTestCase {
    func testFloatBatchAgainstNaiveDFT() { check(Float.self, lengths: [8, 15, 64, 90, 360], tolerance: 2e-6) }
    func testDoubleBatchAgainstNaiveDFT() { check(Double.self, lengths: [8, 15, 64, 90, 360], tolerance: 1e-13) }

    func testRoundTripScalesByLength() {
        let n = 96, batch = 3
        let fft = RealFFT<Float>(length: n, batch: batch, rigor: .measure)
        let x = AlignedBuffer<Float>(count: n * batch)
        let spectrum = AlignedBuffer<Complex<Float>>(count: fft.spectrumLength * batch)
        let y = AlignedBuffer<Float>(count: n * batch)
        var generator = SplitMix64(seed: 3)
        for i in 0..<x.count { x[i] = Float(generator.nextUnit() - 0.5) }
        fft.forward(x.pointer, spectrum.pointer)
        fft.inverse(spectrum.pointer, y.pointer)
        for i in 0..<x.count { XCTAssertEqual(y[i] / Float(n), x[i], accuracy: 1e-6) }
    }

    func testPaddedStrides() {
        let n = 10, batch = 2, realStride = 12, complexStride = 7
        let fft = RealFFT<Double>(length: n, batch: batch, realStride: realStride, complexStride: complexStride)
        let x = AlignedBuffer<Double>(count: realStride * batch)
        let spectrum = AlignedBuffer<Complex<Double>>(count: complexStride * batch)
        for b in 0..<batch { for j in 0..<n { x[b * realStride + j] = Double(j * (b + 1)) } }
        fft.forward(x.pointer, spectrum.pointer)
        for b in 0..<batch {
            let reference = naiveDFT((0..<n).map { Double($0 * (b + 1)) })
            for k in 0...(n / 2) {
                XCTAssertEqual(spectrum[b * complexStride + k].real, reference[k].real, accuracy: 1e-10)
                XCTAssertEqual(spectrum[b * complexStride + k].imaginary, reference[k].imaginary, accuracy: 1e-10)
            }
        }
    }

    private func check<T: FFTScalar>(_ type: T.Type, lengths: [Int], tolerance: Double) {
        var generator = SplitMix64(seed: 11)
        for n in lengths {
            let batch = 4
            let fft = RealFFT<T>(length: n, batch: batch)
            let x = AlignedBuffer<T>(count: n * batch)
            for i in 0..<x.count { x[i] = T(generator.nextUnit() * 2 - 1) }
            let spectrum = AlignedBuffer<Complex<T>>(count: fft.spectrumLength * batch)
            fft.forward(x.pointer, spectrum.pointer)
            for b in 0..<batch {
                let row = (0..<n).map { Double(x[b * n + $0]) }
                let reference = naiveDFT(row)
                let scale = reference.map { $0.length }.max()!
                for k in 0..<fft.spectrumLength {
                    let got = spectrum[b * fft.spectrumLength + k]
                    XCTAssertEqual(Double(got.real), reference[k].real, accuracy: tolerance * scale, "n=\(n) k=\(k)")
                    XCTAssertEqual(Double(got.imaginary), reference[k].imaginary, accuracy: tolerance * scale, "n=\(n) k=\(k)")
                }
                // Inverse of the reference spectrum: n · x.
                let back = AlignedBuffer<T>(count: n * batch)
                let input = AlignedBuffer<Complex<T>>(count: fft.spectrumLength * batch)
                for k in 0..<fft.spectrumLength {
                    input[b * fft.spectrumLength + k] = Complex(T(reference[k].real), T(reference[k].imaginary))
                }
                fft.inverse(input.pointer, back.pointer)
                for j in 0..<n {
                    XCTAssertEqual(Double(back[b * n + j]) / Double(n), row[j], accuracy: tolerance * scale, "inverse n=\(n)")
                }
            }
        }
    }
}

/// X[k] = Σ_j x[j] e^{-2πi jk/n} for k = 0 ... n/2, accumulated in double precision.
func naiveDFT(_ x: [Double]) -> [Complex<Double>] {
    let n = x.count
    return (0...(n / 2)).map { k in
        var sum = Complex<Double>.zero
        for j in 0..<n {
            let angle = -2 * Double.pi * Double((j * k) % n) / Double(n)
            sum += Complex(x[j] * cos(angle), x[j] * sin(angle))
        }
        return sum
    }
}

/// A small deterministic generator for test data.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
