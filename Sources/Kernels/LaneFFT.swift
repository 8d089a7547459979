import Foundation

/// Float and Double: the precisions of the lane FFTs.
///
/// The requirements are the lane FFTs' entry points compiled for the precision (the witnesses below and in
/// `LaneRealFFT.swift` call the generic code with the concrete type, in the file that holds it, so it is
/// specialised there). A caller that is itself generic and unspecialised — code compiled without
/// optimisation, the test target — still reaches SIMD code compiled for Float or Double through them,
/// instead of SIMD code that goes through the generic `SIMDStorage` witnesses element by element (a
/// thousand times slower).
public protocol LaneFFTScalar: BinaryFloatingPoint, SIMDScalar, Sendable, Codable {
    static func laneComplexTransform(_ fft: LaneComplexFFT<Self>, re: UnsafeMutablePointer<SIMD8<Self>>,
                                     im: UnsafeMutablePointer<SIMD8<Self>>, workRe: UnsafeMutablePointer<SIMD8<Self>>,
                                     workIm: UnsafeMutablePointer<SIMD8<Self>>)
        -> (re: UnsafeMutablePointer<SIMD8<Self>>, im: UnsafeMutablePointer<SIMD8<Self>>)
    static func laneRealForward(_ fft: LaneRealFFT<Self>, rows: UnsafePointer<Self>, rowStride: Int, count: Int,
                                re: UnsafeMutablePointer<SIMD8<Self>>, im: UnsafeMutablePointer<SIMD8<Self>>,
                                workspace: UnsafeMutablePointer<SIMD8<Self>>)
    static func laneRealInverse(_ fft: LaneRealFFT<Self>, re: UnsafePointer<SIMD8<Self>>, im: UnsafePointer<SIMD8<Self>>,
                                rows: UnsafeMutablePointer<Self>, rowStride: Int, count: Int,
                                workspace: UnsafeMutablePointer<SIMD8<Self>>)
    static func laneRealRows(_ fft: LaneRealFFT<Self>, forward: Bool, real: UnsafeMutablePointer<Self>,
                             complex: UnsafeMutableRawPointer, rows: Int, realStride: Int, complexStride: Int)
}

extension Float: LaneFFTScalar {
    public static func laneComplexTransform(_ fft: LaneComplexFFT<Float>, re: UnsafeMutablePointer<SIMD8<Float>>,
                                            im: UnsafeMutablePointer<SIMD8<Float>>,
                                            workRe: UnsafeMutablePointer<SIMD8<Float>>,
                                            workIm: UnsafeMutablePointer<SIMD8<Float>>)
        -> (re: UnsafeMutablePointer<SIMD8<Float>>, im: UnsafeMutablePointer<SIMD8<Float>>) {
        fft.passes(re: re, im: im, workRe: workRe, workIm: workIm)
    }
}

extension Double: LaneFFTScalar {
    public static func laneComplexTransform(_ fft: LaneComplexFFT<Double>, re: UnsafeMutablePointer<SIMD8<Double>>,
                                            im: UnsafeMutablePointer<SIMD8<Double>>,
                                            workRe: UnsafeMutablePointer<SIMD8<Double>>,
                                            workIm: UnsafeMutablePointer<SIMD8<Double>>)
        -> (re: UnsafeMutablePointer<SIMD8<Double>>, im: UnsafeMutablePointer<SIMD8<Double>>) {
        fft.passes(re: re, im: im, workRe: workRe, workIm: workIm)
    }
}

/// Eight complex FFTs of one length at a time, transform i in lane i of `SIMD8` vectors (real and imaginary
/// parts in separate vectors): a self-sorting (Stockham) mixed-radix FFT, radices 4, 2, 3, 5 and, for the
/// rest of the length, direct DFTs of its prime factors.
///
/// Why not FFTW: FFTW_ESTIMATE plans for the longitude rows of a 0.25° grid run at under one flop a cycle
/// here (1440-point r2c, 2.7–4 µs a row on an EPYC Zen 2), and FFTW_MEASURE plans differ from process to
/// process, which would break members that must be bitwise the same on any layout and rerun. Every
/// butterfly here is one SIMD instruction over eight rows, and every lane sees the same operations in the
/// same order: a row's result does not depend on its lane, on the other rows, or on how many there are.
///
/// Unnormalised: `sign` −1 computes `X[k] = Σ_j x[j] e^{−2πi jk/n}`, +1 the same with `e^{+2πi jk/n}`.
public final class LaneComplexFFT<T: LaneFFTScalar>: @unchecked Sendable {
    public typealias Lanes = SIMD8<T>

    public let length: Int
    /// −1 (forward) or +1 (backward).
    public let sign: Int
    /// The radix of each pass, in order.
    let radices: [Int]
    /// Twiddles of each pass, `[q][t − 1]` for `t` in `1 ..< p`, as (cos, sin) of `sign · 2π qt / len`
    /// computed in Float64; pass i's start at `twiddleOffsets[i]`.
    private let twiddles: [(T, T)]
    private let twiddleOffsets: [Int]
    /// `e^{sign · 2πi r / p}` for r < p, per prime radix ≥ 7 (direct DFTs), keyed by p.
    private let roots: [Int: [(T, T)]]

    public init(length: Int, sign: Int) {
        precondition(length >= 1, "LaneComplexFFT: length \(length) must be positive")
        precondition(sign == 1 || sign == -1, "LaneComplexFFT: sign must be ±1, not \(sign)")
        self.length = length
        self.sign = sign
        radices = Self.factor(length)
        var twiddles: [(T, T)] = [], offsets: [Int] = []
        var len = length
        for p in radices {
            let m = len / p
            offsets.append(twiddles.count)
            for q in 0..<m {
                for t in 1..<p { twiddles.append(Self.root(Double(sign) * Double(q * t) / Double(len))) }
            }
            len = m
        }
        self.twiddles = twiddles
        twiddleOffsets = offsets
        var roots: [Int: [(T, T)]] = [:]
        for p in Set(radices) where p > 5 {
            roots[p] = (0..<p).map { Self.root(Double(sign) * Double($0) / Double(p)) }
        }
        self.roots = roots
    }

    /// Radix-4 passes first (fewest passes), then 2, 3, 5 and any other primes.
    static func factor(_ n: Int) -> [Int] {
        var radices: [Int] = [], rest = n
        for p in [4, 2, 3, 5] { while rest % p == 0 { radices.append(p); rest /= p } }
        var p = 7
        while rest > 1 {
            while rest % p == 0 { radices.append(p); rest /= p }
            p += 2
        }
        return radices
    }

    /// `e^{2πi f}` in T, rounded from Float64 (exact at the quarter turns).
    static func root(_ f: Double) -> (T, T) {
        let turns = f - f.rounded(.down)
        switch turns {
        case 0: return (1, 0)
        case 0.25: return (0, 1)
        case 0.5: return (-1, 0)
        case 0.75: return (0, -1)
        default: return (T(cos(2 * Double.pi * turns)), T(sin(2 * Double.pi * turns)))
        }
    }

    /// Transforms `(re, im)` `[length]`, the passes going back and forth between it and `(workRe, workIm)`
    /// `[length]`; returns the pair that holds the result (the other one is overwritten).
    @discardableResult
    public func transform(re: UnsafeMutablePointer<Lanes>, im: UnsafeMutablePointer<Lanes>,
                          workRe: UnsafeMutablePointer<Lanes>, workIm: UnsafeMutablePointer<Lanes>)
        -> (re: UnsafeMutablePointer<Lanes>, im: UnsafeMutablePointer<Lanes>) {
        T.laneComplexTransform(self, re: re, im: im, workRe: workRe, workIm: workIm)
    }

    /// `transform`, generic: specialised in the witnesses above.
    @inline(__always)
    fileprivate func passes(re: UnsafeMutablePointer<Lanes>, im: UnsafeMutablePointer<Lanes>,
                            workRe: UnsafeMutablePointer<Lanes>, workIm: UnsafeMutablePointer<Lanes>)
        -> (re: UnsafeMutablePointer<Lanes>, im: UnsafeMutablePointer<Lanes>) {
        var (xr, xi, yr, yi) = (re, im, workRe, workIm)
        var len = length, s = 1
        twiddles.withUnsafeBufferPointer { all in
            for (pass, p) in radices.enumerated() {
                let m = len / p
                let w = UnsafeRawPointer(all.baseAddress! + twiddleOffsets[pass]).assumingMemoryBound(to: T.self)
                switch p {
                case 4: radix4(xr, xi, yr, yi, m: m, s: s, w)
                case 2: radix2(xr, xi, yr, yi, m: m, s: s, w)
                case 3: radix3(xr, xi, yr, yi, m: m, s: s, w)
                case 5: radix5(xr, xi, yr, yi, m: m, s: s, w)
                default: radixPrime(p, xr, xi, yr, yi, m: m, s: s, w)
                }
                len = m
                s *= p
                swap(&xr, &yr)
                swap(&xi, &yi)
            }
        }
        return (xr, xi)
    }

    // MARK: - Passes
    //
    // Pass with radix p over sub-transforms of length len = p · m, s of them interleaved: for q < m and k < s,
    // the p inputs x[k + s(q + r m)] go through a p-point DFT, and output t, times the twiddle w^{qt} of len,
    // lands at y[k + s(p q + t)]. `w` holds (cos, sin) pairs `[q][t − 1]`.

    /// Pass twiddle `index` as lane vectors: (cos, sin, −sin).
    @inline(__always)
    private func twiddle(_ w: UnsafePointer<T>, _ index: Int) -> (Lanes, Lanes, Lanes) {
        (Lanes(repeating: w[2 * index]), Lanes(repeating: w[2 * index + 1]), Lanes(repeating: -w[2 * index + 1]))
    }

    /// `y[at] = b · w`, or `b` when the pass's q is 0 (all its twiddles are 1: a fifth of the work of a
    /// length's last passes).
    @inline(__always)
    private func store(_ yr: UnsafeMutablePointer<Lanes>, _ yi: UnsafeMutablePointer<Lanes>, _ at: Int,
                       _ br: Lanes, _ bi: Lanes, _ w: (Lanes, Lanes, Lanes), twiddled: Bool) {
        if twiddled {
            yr[at] = (br * w.0).addingProduct(bi, w.2)
            yi[at] = (br * w.1).addingProduct(bi, w.0)
        } else {
            yr[at] = br
            yi[at] = bi
        }
    }

    /// `body(q, twiddled)` for `q < m`, with `twiddled` a constant in each of the two inlined copies.
    @inline(__always)
    private func forEachButterfly(_ m: Int, _ body: (_ q: Int, _ twiddled: Bool) -> Void) {
        body(0, false)
        for q in 1..<max(m, 1) { body(q, true) }
    }

    private func radix2(_ xr: UnsafeMutablePointer<Lanes>, _ xi: UnsafeMutablePointer<Lanes>,
                        _ yr: UnsafeMutablePointer<Lanes>, _ yi: UnsafeMutablePointer<Lanes>, m: Int, s: Int,
                        _ w: UnsafePointer<T>) {
        forEachButterfly(m) { q, twiddled in
            let w1 = twiddle(w, q)
            for k in 0..<s {
                let i0 = k + s * q, i1 = i0 + s * m, o = k + 2 * s * q
                let a0r = xr[i0], a0i = xi[i0], a1r = xr[i1], a1i = xi[i1]
                yr[o] = a0r + a1r
                yi[o] = a0i + a1i
                store(yr, yi, o + s, a0r - a1r, a0i - a1i, w1, twiddled: twiddled)
            }
        }
    }

    private func radix4(_ xr: UnsafeMutablePointer<Lanes>, _ xi: UnsafeMutablePointer<Lanes>,
                        _ yr: UnsafeMutablePointer<Lanes>, _ yi: UnsafeMutablePointer<Lanes>, m: Int, s: Int,
                        _ w: UnsafePointer<T>) {
        let forward = sign < 0
        forEachButterfly(m) { q, twiddled in
            let w1 = twiddle(w, 3 * q), w2 = twiddle(w, 3 * q + 1), w3 = twiddle(w, 3 * q + 2)
            for k in 0..<s {
                let i0 = k + s * q, i1 = i0 + s * m, i2 = i1 + s * m, i3 = i2 + s * m, o = k + 4 * s * q
                let a0r = xr[i0], a0i = xi[i0], a1r = xr[i1], a1i = xi[i1]
                let a2r = xr[i2], a2i = xi[i2], a3r = xr[i3], a3i = xi[i3]
                let t0r = a0r + a2r, t0i = a0i + a2i, t1r = a0r - a2r, t1i = a0i - a2i
                let t2r = a1r + a3r, t2i = a1i + a3i
                // u = −i (a1 − a3): output 1 is t1 + u forward (ω = −i), t1 − u backward.
                let ur = a1i - a3i, ui = a3r - a1r
                yr[o] = t0r + t2r
                yi[o] = t0i + t2i
                store(yr, yi, o + 2 * s, t0r - t2r, t0i - t2i, w2, twiddled: twiddled)
                if forward {
                    store(yr, yi, o + s, t1r + ur, t1i + ui, w1, twiddled: twiddled)
                    store(yr, yi, o + 3 * s, t1r - ur, t1i - ui, w3, twiddled: twiddled)
                } else {
                    store(yr, yi, o + s, t1r - ur, t1i - ui, w1, twiddled: twiddled)
                    store(yr, yi, o + 3 * s, t1r + ur, t1i + ui, w3, twiddled: twiddled)
                }
            }
        }
    }

    private func radix3(_ xr: UnsafeMutablePointer<Lanes>, _ xi: UnsafeMutablePointer<Lanes>,
                        _ yr: UnsafeMutablePointer<Lanes>, _ yi: UnsafeMutablePointer<Lanes>, m: Int, s: Int,
                        _ w: UnsafePointer<T>) {
        let minusHalf = Lanes(repeating: -0.5), r3 = Lanes(repeating: T(Double(sign) * sin(2 * Double.pi / 3)))
        forEachButterfly(m) { q, twiddled in
            let w1 = twiddle(w, 2 * q), w2 = twiddle(w, 2 * q + 1)
            for k in 0..<s {
                let i0 = k + s * q, i1 = i0 + s * m, i2 = i1 + s * m, o = k + 3 * s * q
                let a0r = xr[i0], a0i = xi[i0], a1r = xr[i1], a1i = xi[i1], a2r = xr[i2], a2i = xi[i2]
                let t1r = a1r + a2r, t1i = a1i + a2i
                let t2r = a0r.addingProduct(minusHalf, t1r), t2i = a0i.addingProduct(minusHalf, t1i)
                let t3r = r3 * (a1r - a2r), t3i = r3 * (a1i - a2i)
                yr[o] = a0r + t1r
                yi[o] = a0i + t1i
                store(yr, yi, o + s, t2r - t3i, t2i + t3r, w1, twiddled: twiddled)
                store(yr, yi, o + 2 * s, t2r + t3i, t2i - t3r, w2, twiddled: twiddled)
            }
        }
    }

    private func radix5(_ xr: UnsafeMutablePointer<Lanes>, _ xi: UnsafeMutablePointer<Lanes>,
                        _ yr: UnsafeMutablePointer<Lanes>, _ yi: UnsafeMutablePointer<Lanes>, m: Int, s: Int,
                        _ w: UnsafePointer<T>) {
        let c1 = Lanes(repeating: T(cos(2 * Double.pi / 5))), c2 = Lanes(repeating: T(cos(4 * Double.pi / 5)))
        let s1 = Lanes(repeating: T(Double(sign) * sin(2 * Double.pi / 5)))
        let s2 = Lanes(repeating: T(Double(sign) * sin(4 * Double.pi / 5)))
        let minusS1 = -s1
        forEachButterfly(m) { q, twiddled in
            let w1 = twiddle(w, 4 * q), w2 = twiddle(w, 4 * q + 1), w3 = twiddle(w, 4 * q + 2), w4 = twiddle(w, 4 * q + 3)
            for k in 0..<s {
                let i0 = k + s * q, i1 = i0 + s * m, i2 = i1 + s * m, i3 = i2 + s * m, i4 = i3 + s * m
                let o = k + 5 * s * q
                let a0r = xr[i0], a0i = xi[i0]
                let t1r = xr[i1] + xr[i4], t1i = xi[i1] + xi[i4], t2r = xr[i2] + xr[i3], t2i = xi[i2] + xi[i3]
                let t3r = xr[i1] - xr[i4], t3i = xi[i1] - xi[i4], t4r = xr[i2] - xr[i3], t4i = xi[i2] - xi[i3]
                let p1r = a0r.addingProduct(c1, t1r).addingProduct(c2, t2r)
                let p1i = a0i.addingProduct(c1, t1i).addingProduct(c2, t2i)
                let p2r = a0r.addingProduct(c2, t1r).addingProduct(c1, t2r)
                let p2i = a0i.addingProduct(c2, t1i).addingProduct(c1, t2i)
                let q1r = (s1 * t3r).addingProduct(s2, t4r), q1i = (s1 * t3i).addingProduct(s2, t4i)
                let q2r = (s2 * t3r).addingProduct(minusS1, t4r), q2i = (s2 * t3i).addingProduct(minusS1, t4i)
                yr[o] = a0r + t1r + t2r
                yi[o] = a0i + t1i + t2i
                store(yr, yi, o + s, p1r - q1i, p1i + q1r, w1, twiddled: twiddled)
                store(yr, yi, o + 2 * s, p2r - q2i, p2i + q2r, w2, twiddled: twiddled)
                store(yr, yi, o + 3 * s, p2r + q2i, p2i - q2r, w3, twiddled: twiddled)
                store(yr, yi, o + 4 * s, p1r + q1i, p1i - q1r, w4, twiddled: twiddled)
            }
        }
    }

    /// A direct p-point DFT (p a prime ≥ 7, rare in grid lengths): p² operations a point.
    private func radixPrime(_ p: Int, _ xr: UnsafeMutablePointer<Lanes>, _ xi: UnsafeMutablePointer<Lanes>,
                            _ yr: UnsafeMutablePointer<Lanes>, _ yi: UnsafeMutablePointer<Lanes>, m: Int, s: Int,
                            _ w: UnsafePointer<T>) {
        let root = roots[p]!
        for q in 0..<m {
            for k in 0..<s {
                let i0 = k + s * q, o = k + p * s * q
                for t in 0..<p {
                    var br = xr[i0], bi = xi[i0]
                    for r in 1..<p {
                        let (c, sn) = root[(r * t) % p]
                        let ar = xr[i0 + r * s * m], ai = xi[i0 + r * s * m]
                        br += ar * c - ai * sn
                        bi += ar * sn + ai * c
                    }
                    if t == 0 {
                        yr[o] = br
                        yi[o] = bi
                    } else {
                        store(yr, yi, o + t * s, br, bi, twiddle(w, q * (p - 1) + t - 1), twiddled: true)
                    }
                }
            }
        }
    }
}
