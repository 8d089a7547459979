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

    /// Applies the function to every element of `x`.
    public func apply(_ x: UnsafeMutableBufferPointer<Float>) {
        switch self {
        case .gelu:
            let scale = Float(1 / 2.0.squareRoot())
            for i in x.indices {
                let v = x[i]
                x[i] = 0.5 * v * (1 + erff(v * scale))
            }
        case .relu:
            for i in x.indices { x[i] = max(x[i], 0) }
        case .silu:
            for i in x.indices {
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
