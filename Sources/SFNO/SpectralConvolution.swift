import ComplexModule
import RealModule
import Kernels

/// The spectral filter of an SFNO block, applied to spherical harmonic coefficients.
///
/// - `perDegree` (makani `dhconv`, torch-harmonics `driscoll-healy`): one complex matrix per degree l,
///   `y[o, l, m] = Σ_i W_l[o, i] x[i, l, m]` — one complex GEMM per l over the orders `m ≤ l`.
/// - `diagonal` (makani): one complex matrix per (l, m), `y[o, l, m] = Σ_i W_lm[o, i] x[i, l, m]`.
///
/// The weights are repacked at load into `[l][out][in]` (`[l][m][out][in]` for diagonal), whatever the
/// checkpoint's axis order (makani: input channel first; torch-harmonics: output channel first).
public struct SpectralConvolution: Sendable {
    public enum Kind: Sendable { case perDegree, diagonal }

    public let kind: Kind
    public let inChannels: Int
    public let outChannels: Int
    public let lmax: Int
    public let mmax: Int
    /// `[lmax][out][in]` (perDegree) or `[lmax][mmax][out][in]` (diagonal).
    let weights: [Complex<Float>]

    /// How the checkpoint orders the two channel axes.
    public enum ChannelOrder: Sendable { case inputFirst, outputFirst }

    /// - stored: the checkpoint's float32 values, `[in][out][lmax]([mmax])[2]` (inputFirst) or
    ///   `[out][in][lmax]([mmax])[2]` (outputFirst), last axis (real, imaginary)
    public init(kind: Kind, stored: [Float], order: ChannelOrder, inChannels: Int, outChannels: Int,
                lmax: Int, mmax: Int) {
        let orders = kind == .diagonal ? mmax : 1
        precondition(stored.count == inChannels * outChannels * lmax * orders * 2,
                     "SpectralConvolution: \(stored.count) values do not fit \(inChannels)×\(outChannels)×\(lmax)×\(orders)×2")
        self.kind = kind
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.lmax = lmax
        self.mmax = mmax
        var packed = [Complex<Float>](repeating: .zero, count: lmax * orders * outChannels * inChannels)
        for i in 0..<inChannels {
            for o in 0..<outChannels {
                let pair = order == .inputFirst ? i * outChannels + o : o * inChannels + i
                for l in 0..<lmax {
                    for m in 0..<orders {
                        let source = 2 * ((pair * lmax + l) * orders + m)
                        packed[((l * orders + m) * outChannels + o) * inChannels + i] =
                            Complex(stored[source], stored[source + 1])
                    }
                }
            }
        }
        weights = packed
    }

    /// - x: `[inChannels][lmax][mmax]`
    /// - y: `[outChannels][lmax][mmax]`, overwritten (zero where `m > l`)
    public func apply(_ x: UnsafePointer<Complex<Float>>, into y: UnsafeMutablePointer<Complex<Float>>) {
        apply(x, into: y, firstDegree: 0, firstOrder: 0)
    }

    /// The filter on one rank's block of coefficients (`DistributedRealSHT`'s spectral layout): this
    /// convolution holds the weights of the degrees `firstDegree ..< firstDegree + lmax` (and, diagonal, the
    /// orders `firstOrder ..< firstOrder + mmax`), and `x`, `y` the coefficients of those degrees and orders.
    /// With both offsets 0 it is the serial filter.
    /// - x: `[inChannels][lmax][mmax]` (local degrees, local orders)
    /// - y: `[outChannels][lmax][mmax]`, overwritten (zero where the absolute `m > l`)
    public func apply(_ x: UnsafePointer<Complex<Float>>, into y: UnsafeMutablePointer<Complex<Float>>,
                      firstDegree: Int, firstOrder: Int) {
        y.update(repeating: .zero, count: outChannels * lmax * mmax)
        let channelStride = lmax * mmax
        // Degrees are independent: dealt out over the rank's threads round-robin (the work grows with l).
        weights.withUnsafeBufferPointer { w in
            shareOut(lmax) { part, parts in
                for l in stride(from: part, to: lmax, by: parts) {
                    // Orders m ≤ l of this block (absolute l = firstDegree + l).
                    let orders = min(firstDegree + l + 1, firstOrder + mmax) - firstOrder
                    guard orders > 0 else { continue }
                    switch kind {
                    case .perDegree:
                        complexGEMM(m: outChannels, n: orders, k: inChannels,
                                    a: w.baseAddress! + l * outChannels * inChannels, lda: inChannels,
                                    b: x + l * mmax, ldb: channelStride, c: y + l * mmax, ldc: channelStride)
                    case .diagonal:
                        for m in 0..<orders {
                            let matrix = w.baseAddress! + (l * mmax + m) * outChannels * inChannels
                            for o in 0..<outChannels {
                                var sum = Complex<Float>.zero
                                let row = matrix + o * inChannels
                                for i in 0..<inChannels { sum += row[i] * x[i * channelStride + l * mmax + m] }
                                y[o * channelStride + l * mmax + m] = sum
                            }
                        }
                    }
                }
            }
        }
    }
}
