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

    /// - x: `count` values, replaced by the function's values
    @inline(__always)
    func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .gelu:
            let scale = Float(1 / 2.0.squareRoot())
            for i in 0..<count {
                let v = x[i]
                x[i] = 0.5 * v * (1 + erff(v * scale))
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
