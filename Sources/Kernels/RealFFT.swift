import CFFTW
import ComplexModule
import RealModule
import Synchronization

/// A batch of one-dimensional real-to-complex and complex-to-real FFTs of the same length, planned
/// once with FFTW and reused.
///
/// Unnormalised like FFTW: `forward` computes `X[k] = Σ_j x[j] e^{-2πi jk/n}` for `k = 0 ... n/2`,
/// `inverse` computes `x[j] = Σ_k X[k] e^{+2πi jk/n}` over the Hermitian-completed spectrum, so
/// `inverse(forward(x)) = n · x`. Callers scale as their convention needs.
///
/// - Layout: real data `[batch][length]` with row stride `realStride` (≥ length);
///   spectra `[batch][length/2 + 1]` with row stride `complexStride` (≥ length/2 + 1).
public final class RealFFT<T: FFTScalar>: @unchecked Sendable {
    public let length: Int
    public let batch: Int
    public let realStride: Int
    public let complexStride: Int
    private let forwardPlan: OpaquePointer
    private let inversePlan: OpaquePointer

    /// Number of complex outputs per transform.
    public var spectrumLength: Int { length / 2 + 1 }

    public init(length: Int, batch: Int, realStride: Int? = nil, complexStride: Int? = nil,
                rigor: FFTPlanningRigor = .estimate) {
        precondition(length > 0 && batch > 0, "RealFFT: length (\(length)) and batch (\(batch)) must be positive")
        self.length = length
        self.batch = batch
        self.realStride = realStride ?? length
        self.complexStride = complexStride ?? (length / 2 + 1)
        precondition(self.realStride >= length && self.complexStride >= length / 2 + 1, "RealFFT: stride too small")
        // Plan on scratch arrays of the right alignment: FFTW_MEASURE overwrites them.
        let real = AlignedBuffer<T>(count: self.realStride * batch)
        let spectrum = AlignedBuffer<Complex<T>>(count: self.complexStride * batch)
        let flags = rigor.flags
        let (realStride, complexStride) = (self.realStride, self.complexStride)
        (forwardPlan, inversePlan) = fftwPlanner.withLock { _ in
            (T.planManyR2C(length, batch, real.pointer, realStride, spectrum.pointer, complexStride, flags),
             T.planManyC2R(length, batch, spectrum.pointer, complexStride, real.pointer, realStride,
                           flags | myriad_fftw_destroy_input()))
        }
    }

    deinit {
        fftwPlanner.withLock { _ in
            T.destroyPlan(forwardPlan)
            T.destroyPlan(inversePlan)
        }
    }

    /// Real `[batch][realStride]` → complex `[batch][complexStride]`. Pointers must be 64-byte aligned
    /// (use `AlignedBuffer`); input and output must not overlap.
    public func forward(_ input: UnsafeMutablePointer<T>, _ output: UnsafeMutablePointer<Complex<T>>) {
        T.executeR2C(forwardPlan, input, output)
    }

    /// Complex `[batch][complexStride]` → real `[batch][realStride]`. Destroys `input`.
    /// The imaginary parts of the m = 0 (and, for even length, m = n/2) terms are ignored.
    public func inverse(_ input: UnsafeMutablePointer<Complex<T>>, _ output: UnsafeMutablePointer<T>) {
        T.executeC2R(inversePlan, input, output)
    }
}

/// FFTW's planner is not thread-safe (executing plans is): plans of every length and precision are made and
/// destroyed one at a time, whichever thread (a model stepped from several threads, pieces of a batch) asks.
private let fftwPlanner = Mutex(())

/// How hard FFTW searches for a fast plan.
public enum FFTPlanningRigor: Sendable {
    /// Heuristic plan, made at once (tests, one-off transforms).
    case estimate
    /// Times candidate plans (seconds for large sizes); worth it for transforms reused many times.
    case measure

    var flags: UInt32 {
        switch self {
        case .estimate: myriad_fftw_estimate()
        case .measure: myriad_fftw_measure()
        }
    }
}
