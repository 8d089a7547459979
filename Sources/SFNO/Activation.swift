import Kernels
import Foundation

/// The pointwise nonlinearities of the SFNO networks, applied in place.
public enum Activation: String, Sendable, CaseIterable {
    /// Exact GELU, `0.5 x (1 + erf(x/√2))` (PyTorch `nn.GELU()` default, not the tanh approximation).
    case gelu
    /// `max(x, 0)`.
    case relu
    /// `x · sigmoid(x)` (a.k.a. swish).
    case silu
    /// `x`.
    case identity

    /// Applies the function to every element of `x` (threaded over contiguous ranges).
    public func apply(_ x: UnsafeMutableBufferPointer<Float>) {
        guard self != .identity, let base = x.baseAddress else { return }
        parallelRanges(x.count) { range in
            apply(base + range.lowerBound, count: range.count)
        }
    }

    /// `count` values on the calling thread (inside a tile that already runs on one of the rank's threads).
    func applySerially(_ x: UnsafeMutablePointer<Float>, count: Int) { apply(x, count: count) }

    /// - x: `count` values, replaced by the function's values
    @inline(__always)
    func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .gelu:
            // Eight at a time (glibc's erff is scalar and was a fifth of a step), the tail too, padded: a value's
            // GELU must not depend on where it falls in the array, or the tiles and thread ranges of a
            // model-parallel rank would round differently from the serial network's.
            let scale = Float(1 / 2.0.squareRoot())
            var i = 0
            while i + 8 <= count {
                let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(x + i).storeBytes(of: exactGELU(v, scale: scale), as: SIMD8<Float>.self)
                i += 8
            }
            if i < count {
                var v = SIMD8<Float>(repeating: 0)
                for j in i..<count { v[j - i] = x[j] }
                let g = exactGELU(v, scale: scale)
                for j in i..<count { x[j] = g[j - i] }
            }
        case .relu:
            for i in 0..<count { x[i] = max(x[i], 0) }
        case .silu:
            for i in 0..<count {
                let v = x[i]
                x[i] = v / (1 + expf(-v))
            }
        case .identity:
            break
        }
    }

    public func apply(_ x: inout [Float]) {
        x.withUnsafeMutableBufferPointer { apply($0) }
    }
}

/// Exact GELU of eight values, `0.5 x (1 + erf(x · scale))` with `scale = 1/√2`.
@inline(__always)
private func exactGELU(_ v: SIMD8<Float>, scale: Float) -> SIMD8<Float> { 0.5 * v * (1 + vectorErf(v * scale)) }

/// erf in float32, eight lanes at a time: the rational approximation of Eigen and XLA
/// (`x·P(x²)/Q(x²)` on x clamped to [−4, 4]), within 4.2e-7 of erf everywhere (measured against
/// Python's `math.erf` on 200 001 points in [−6, 6]) — the accuracy of PyTorch's own vectorised erf.
@inline(__always)
func vectorErf(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // Clamped with masks: `clamped(lowerBound:upperBound:)` went through the standard library's generic
    // pointwiseMin/pointwiseMax unspecialised (6 % of a demo step in a profile).
    let limit = SIMD8<Float>(repeating: 4)
    var x = x
    x.replace(with: limit, where: x .> limit)
    x.replace(with: -limit, where: x .< -limit)
    let x2 = x * x
    var p = SIMD8<Float>(repeating: -2.72614225801306e-10)
    p = p * x2 + 2.77068142495902e-08
    p = p * x2 - 2.10102402082508e-06
    p = p * x2 - 5.69250639462346e-05
    p = p * x2 - 7.34990630326855e-04
    p = p * x2 - 2.95459980854025e-03
    p = p * x2 - 1.60960333262415e-02
    p = p * x
    var q = SIMD8<Float>(repeating: -1.45660718464996e-05)
    q = q * x2 - 2.13374055278905e-04
    q = q * x2 - 1.68282697438203e-03
    q = q * x2 - 7.37332916720468e-03
    q = q * x2 - 1.42647390514189e-02
    return p / q
}
