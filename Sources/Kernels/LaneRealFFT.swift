/// Real FFTs of one length, eight rows at a time in the lanes of `SIMD8` vectors (`LaneComplexFFT`).
///
/// FFTW's conventions, unnormalised: `forward` computes `X[k] = Σ_j x[j] e^{−2πi jk/n}` for `k ≤ n/2`,
/// `inverse` computes `x[j] = Σ_k X[k] e^{+2πi jk/n}` over the Hermitian-completed spectrum, ignoring the
/// imaginary parts of `X[0]` and (even n) `X[n/2]`; so `inverse(forward(x)) = n · x`.
///
/// An even length goes through a complex FFT of half the length: `z[j] = x[2j] + i x[2j+1]`, and
/// `X[k] = E[k] + e^{−2πik/n} O[k]` with `E = (Z[k] + Z*[n/2−k]) / 2`, `O = (Z[k] − Z*[n/2−k]) / 2i`; the inverse
/// builds `Z` from `X` and runs the steps backwards. An odd length is a complex FFT of the whole row.
///
/// Every row's arithmetic is the same whatever its lane and whatever the other rows: a field's spectrum is
/// bitwise the same transformed alone, in a batch, in a latitude band on another rank or on another thread.
///
/// Two levels:
/// - lanes: `forward(rows:…)` reads up to eight rows and leaves their spectra in lane vectors `re`, `im`
///   `[n/2 + 1]`; `inverse(re:im:…)` writes rows from lane vectors. Callers that fold or unfold spectra read
///   and write the lanes directly.
/// - rows: `forward(_:_:rows:…)`, `inverse(_:_:rows:…)` on `[rows][n]` reals and `[rows][n/2 + 1]` complex
///   values, any number of rows.
public final class LaneRealFFT<T: LaneFFTScalar>: @unchecked Sendable {
    public typealias Lanes = SIMD8<T>
    /// Rows transformed together.
    public static var lanes: Int { 8 }

    public let length: Int
    /// Complex outputs per row, `length / 2 + 1`.
    public let spectrumLength: Int
    private let forwardComplex: LaneComplexFFT<T>
    private let backwardComplex: LaneComplexFFT<T>
    /// `(cos, sin)` of `2πk / n` for `k ≤ n/2` (even lengths).
    private let twiddles: [(T, T)]

    public init(length: Int) {
        precondition(length >= 1, "LaneRealFFT: length \(length) must be positive")
        self.length = length
        spectrumLength = length / 2 + 1
        let complexLength = length % 2 == 0 ? length / 2 : length
        forwardComplex = LaneComplexFFT(length: complexLength, sign: -1)
        backwardComplex = LaneComplexFFT(length: complexLength, sign: 1)
        twiddles = length % 2 == 0
            ? (0...(length / 2)).map { LaneComplexFFT<T>.root(Double($0) / Double(length)) }
            : []
    }

    /// Lane vectors of work space a call needs (`workspace` arguments).
    public var workspaceCount: Int { 4 * (length % 2 == 0 ? length / 2 : length) }

    // MARK: - Lanes

    /// Spectra of `count ≤ 8` rows — row i at `input + i · rowStride` in lane i, zeros in the lanes past
    /// `count` — into `re`, `im` `[spectrumLength]`.
    public func forward(rows input: UnsafePointer<T>, rowStride: Int, count: Int,
                        re: UnsafeMutablePointer<Lanes>, im: UnsafeMutablePointer<Lanes>,
                        workspace: UnsafeMutablePointer<Lanes>) {
        T.laneRealForward(self, rows: input, rowStride: rowStride, count: count, re: re, im: im, workspace: workspace)
    }

    @inline(__always)
    fileprivate func forwardLanes(rows input: UnsafePointer<T>, rowStride: Int, count: Int,
                                  re: UnsafeMutablePointer<Lanes>, im: UnsafeMutablePointer<Lanes>,
                                  workspace: UnsafeMutablePointer<Lanes>) {
        precondition(count >= 1 && count <= 8, "LaneRealFFT.forward: \(count) rows, expected 1 to 8")
        let h = length % 2 == 0 ? length / 2 : length
        let (zr, zi, wr, wi) = (workspace, workspace + h, workspace + 2 * h, workspace + 3 * h)
        if length % 2 == 0 {
            // z[j] = x[2j] + i x[2j+1]: the rows' pairs of values turned into lanes.
            gatherTurned(input, rowStride: rowStride, count: count, values: length) { j, v in
                if j % 2 == 0 { zr[j / 2] = v } else { zi[j / 2] = v }
            }
            let (zr, zi) = forwardComplex.transform(re: zr, im: zi, workRe: wr, workIm: wi)
            let half = Lanes(repeating: 0.5)
            twiddles.withUnsafeBufferPointer { tw in
                for k in 0...h {
                    let a = k % h, b = (h - k) % h
                    // E = (Z[k] + Z*[h−k]) / 2, D = (Z[k] − Z*[h−k]) / 2, O = −i D, X = E + (c − i s) O.
                    let er = half * (zr[a] + zr[b]), ei = half * (zi[a] - zi[b])
                    let dr = half * (zr[a] - zr[b]), di = half * (zi[a] + zi[b])
                    let c = Lanes(repeating: tw[k].0), s = Lanes(repeating: tw[k].1)
                    // (c − i s)(di − i dr) = (c di − s dr) − i (c dr + s di)
                    re[k] = er + (c * di - s * dr)
                    im[k] = ei - (c * dr + s * di)
                }
            }
            im[0] = Lanes()
            im[h] = Lanes()
        } else {
            gatherTurned(input, rowStride: rowStride, count: count, values: length) { j, v in zr[j] = v }
            zi.update(repeating: Lanes(), count: h)
            let (zr, zi) = forwardComplex.transform(re: zr, im: zi, workRe: wr, workIm: wi)
            re.update(from: zr, count: spectrumLength)
            im.update(from: zi, count: spectrumLength)
            im[0] = Lanes()
        }
    }

    /// Rows from spectra `re`, `im` `[spectrumLength]` (kept): lane i into the row at `output + i · rowStride`
    /// for `i < count`.
    public func inverse(re: UnsafePointer<Lanes>, im: UnsafePointer<Lanes>,
                        rows output: UnsafeMutablePointer<T>, rowStride: Int, count: Int,
                        workspace: UnsafeMutablePointer<Lanes>) {
        T.laneRealInverse(self, re: re, im: im, rows: output, rowStride: rowStride, count: count, workspace: workspace)
    }

    @inline(__always)
    fileprivate func inverseLanes(re: UnsafePointer<Lanes>, im: UnsafePointer<Lanes>,
                                  rows output: UnsafeMutablePointer<T>, rowStride: Int, count: Int,
                                  workspace: UnsafeMutablePointer<Lanes>) {
        precondition(count >= 1 && count <= 8, "LaneRealFFT.inverse: \(count) rows, expected 1 to 8")
        let h = length % 2 == 0 ? length / 2 : length
        let (zr, zi, wr, wi) = (workspace, workspace + h, workspace + 2 * h, workspace + 3 * h)
        if length % 2 == 0 {
            twiddles.withUnsafeBufferPointer { tw in
                for k in 0..<h {
                    // A = X[k], B = X*[h−k] (the imaginary parts at 0 and h ignored); Z = (A + B) + i e^{2πik/n} (A − B).
                    let ai = k == 0 ? Lanes() : im[k], bi = k == 0 ? Lanes() : -im[h - k]
                    let sr = re[k] + re[h - k], si = ai + bi
                    let dr = re[k] - re[h - k], di = ai - bi
                    let c = Lanes(repeating: tw[k].0), s = Lanes(repeating: tw[k].1)
                    let tr = c * dr - s * di, ti = c * di + s * dr
                    zr[k] = sr - ti
                    zi[k] = si + tr
                }
            }
            let (zr, zi) = backwardComplex.transform(re: zr, im: zi, workRe: wr, workIm: wi)
            scatterTurned(output, rowStride: rowStride, count: count, values: length) { j in
                j % 2 == 0 ? zr[j / 2] : zi[j / 2]
            }
        } else {
            // The Hermitian completion of the spectrum, then the real part of its transform.
            zr[0] = re[0]
            zi[0] = Lanes()
            for k in 1..<spectrumLength {
                zr[k] = re[k]
                zi[k] = im[k]
                zr[h - k] = re[k]
                zi[h - k] = -im[k]
            }
            let result = backwardComplex.transform(re: zr, im: zi, workRe: wr, workIm: wi)
            scatterTurned(output, rowStride: rowStride, count: count, values: length) { j in result.re[j] }
        }
    }

    // MARK: - Rows

    /// Spectra of `rows` rows: `input` `[rows][realStride]` → `output` `[rows][complexStride]` (interleaved
    /// real and imaginary parts).
    public func forward(_ input: UnsafePointer<T>, _ output: UnsafeMutableRawPointer, rows: Int,
                        realStride: Int? = nil, complexStride: Int? = nil) {
        T.laneRealRows(self, forward: true, real: UnsafeMutablePointer(mutating: input), complex: output, rows: rows,
                       realStride: realStride ?? length, complexStride: complexStride ?? spectrumLength)
    }

    /// Rows from the spectra of `rows` rows: `input` `[rows][complexStride]` (interleaved, kept) → `output`
    /// `[rows][realStride]`.
    public func inverse(_ input: UnsafeRawPointer, _ output: UnsafeMutablePointer<T>, rows: Int,
                        complexStride: Int? = nil, realStride: Int? = nil) {
        T.laneRealRows(self, forward: false, real: output, complex: UnsafeMutableRawPointer(mutating: input), rows: rows,
                       realStride: realStride ?? length, complexStride: complexStride ?? spectrumLength)
    }

    /// `forward` or `inverse` on rows, eight at a time through the lanes.
    @inline(__always)
    fileprivate func rowsThroughLanes(forward: Bool, real: UnsafeMutablePointer<T>, complex: UnsafeMutableRawPointer,
                                      rows: Int, realStride: Int, complexStride: Int) {
        let spectra = complex.assumingMemoryBound(to: T.self)
        withLaneBuffers { re, im, workspace in
            for first in stride(from: 0, to: rows, by: 8) {
                let count = min(8, rows - first)
                let spectraRows = spectra + 2 * first * complexStride
                if forward {
                    forwardLanes(rows: real + first * realStride, rowStride: realStride, count: count, re: re, im: im,
                                 workspace: workspace)
                    scatterTurned(spectraRows, rowStride: 2 * complexStride, count: count, values: 2 * spectrumLength) { j in
                        j % 2 == 0 ? re[j / 2] : im[j / 2]
                    }
                } else {
                    gatherTurned(spectraRows, rowStride: 2 * complexStride, count: count, values: 2 * spectrumLength) { j, v in
                        if j % 2 == 0 { re[j / 2] = v } else { im[j / 2] = v }
                    }
                    inverseLanes(re: re, im: im, rows: real + first * realStride, rowStride: realStride, count: count,
                                 workspace: workspace)
                }
            }
        }
    }

    /// Spectrum lanes and work space for one call of the lane level, 64-byte aligned.
    public func withLaneBuffers<R>(_ body: (_ re: UnsafeMutablePointer<Lanes>, _ im: UnsafeMutablePointer<Lanes>,
                                            _ workspace: UnsafeMutablePointer<Lanes>) throws -> R) rethrows -> R {
        let count = 2 * spectrumLength + workspaceCount
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Lanes>.stride, alignment: 64)
            .bindMemory(to: Lanes.self, capacity: count)
        defer { buffer.deallocate() }
        return try body(buffer, buffer + spectrumLength, buffer + 2 * spectrumLength)
    }
}

/// The entry points compiled for Float and Double (`LaneFFTScalar`).
extension Float {
    public static func laneRealForward(_ fft: LaneRealFFT<Float>, rows: UnsafePointer<Float>, rowStride: Int, count: Int,
                                       re: UnsafeMutablePointer<SIMD8<Float>>, im: UnsafeMutablePointer<SIMD8<Float>>,
                                       workspace: UnsafeMutablePointer<SIMD8<Float>>) {
        fft.forwardLanes(rows: rows, rowStride: rowStride, count: count, re: re, im: im, workspace: workspace)
    }

    public static func laneRealInverse(_ fft: LaneRealFFT<Float>, re: UnsafePointer<SIMD8<Float>>,
                                       im: UnsafePointer<SIMD8<Float>>, rows: UnsafeMutablePointer<Float>,
                                       rowStride: Int, count: Int, workspace: UnsafeMutablePointer<SIMD8<Float>>) {
        fft.inverseLanes(re: re, im: im, rows: rows, rowStride: rowStride, count: count, workspace: workspace)
    }

    public static func laneRealRows(_ fft: LaneRealFFT<Float>, forward: Bool, real: UnsafeMutablePointer<Float>,
                                    complex: UnsafeMutableRawPointer, rows: Int, realStride: Int, complexStride: Int) {
        fft.rowsThroughLanes(forward: forward, real: real, complex: complex, rows: rows, realStride: realStride,
                             complexStride: complexStride)
    }
}

extension Double {
    public static func laneRealForward(_ fft: LaneRealFFT<Double>, rows: UnsafePointer<Double>, rowStride: Int, count: Int,
                                       re: UnsafeMutablePointer<SIMD8<Double>>, im: UnsafeMutablePointer<SIMD8<Double>>,
                                       workspace: UnsafeMutablePointer<SIMD8<Double>>) {
        fft.forwardLanes(rows: rows, rowStride: rowStride, count: count, re: re, im: im, workspace: workspace)
    }

    public static func laneRealInverse(_ fft: LaneRealFFT<Double>, re: UnsafePointer<SIMD8<Double>>,
                                       im: UnsafePointer<SIMD8<Double>>, rows: UnsafeMutablePointer<Double>,
                                       rowStride: Int, count: Int, workspace: UnsafeMutablePointer<SIMD8<Double>>) {
        fft.inverseLanes(re: re, im: im, rows: rows, rowStride: rowStride, count: count, workspace: workspace)
    }

    public static func laneRealRows(_ fft: LaneRealFFT<Double>, forward: Bool, real: UnsafeMutablePointer<Double>,
                                    complex: UnsafeMutableRawPointer, rows: Int, realStride: Int, complexStride: Int) {
        fft.rowsThroughLanes(forward: forward, real: real, complex: complex, rows: rows, realStride: realStride,
                             complexStride: complexStride)
    }
}

// MARK: - Turning rows into lanes

/// Rows `[count][values]` (row i at `rows + i · rowStride`, `count ≤ 8`) turned into lane vectors: `put(j, v)`
/// gets value j of every row in v, zero in the lanes past `count`. In 8 × 8 tiles turned in registers.
@inline(__always)
func gatherTurned<T: LaneFFTScalar>(_ rows: UnsafePointer<T>, rowStride: Int, count: Int, values: Int,
                                    _ put: (Int, SIMD8<T>) -> Void) {
    typealias V = SIMD8<T>
    let full = values / 8 * 8
    var j = 0
    if count == 8 {
        while j < full {
            let t = transposed8(V((rows + j).pointee8), V((rows + rowStride + j).pointee8),
                                V((rows + 2 * rowStride + j).pointee8), V((rows + 3 * rowStride + j).pointee8),
                                V((rows + 4 * rowStride + j).pointee8), V((rows + 5 * rowStride + j).pointee8),
                                V((rows + 6 * rowStride + j).pointee8), V((rows + 7 * rowStride + j).pointee8))
            put(j, t.0); put(j + 1, t.1); put(j + 2, t.2); put(j + 3, t.3)
            put(j + 4, t.4); put(j + 5, t.5); put(j + 6, t.6); put(j + 7, t.7)
            j += 8
        }
    }
    while j < values {
        var v = V()
        for lane in 0..<count { v[lane] = rows[lane * rowStride + j] }
        put(j, v)
        j += 1
    }
}

/// The inverse of `gatherTurned`: value j of row i (`i < count`) is lane i of `get(j)`.
@inline(__always)
func scatterTurned<T: LaneFFTScalar>(_ rows: UnsafeMutablePointer<T>, rowStride: Int, count: Int, values: Int,
                                     _ get: (Int) -> SIMD8<T>) {
    typealias V = SIMD8<T>
    let full = values / 8 * 8
    var j = 0
    if count == 8 {
        while j < full {
            let t = transposed8(get(j), get(j + 1), get(j + 2), get(j + 3), get(j + 4), get(j + 5), get(j + 6), get(j + 7))
            store8(t.0, rows + j); store8(t.1, rows + rowStride + j)
            store8(t.2, rows + 2 * rowStride + j); store8(t.3, rows + 3 * rowStride + j)
            store8(t.4, rows + 4 * rowStride + j); store8(t.5, rows + 5 * rowStride + j)
            store8(t.6, rows + 6 * rowStride + j); store8(t.7, rows + 7 * rowStride + j)
            j += 8
        }
    }
    while j < values {
        let v = get(j)
        for lane in 0..<count { rows[lane * rowStride + j] = v[lane] }
        j += 1
    }
}

extension UnsafePointer where Pointee: LaneFFTScalar {
    /// Eight values from here, unaligned.
    @inline(__always)
    var pointee8: SIMD8<Pointee> { UnsafeRawPointer(self).loadUnaligned(as: SIMD8<Pointee>.self) }
}

@inline(__always)
func store8<T: LaneFFTScalar>(_ v: SIMD8<T>, _ at: UnsafeMutablePointer<T>) {
    UnsafeMutableRawPointer(at).storeBytes(of: v, as: SIMD8<T>.self)
}

/// The 8 × 8 transpose of eight vectors: three rounds of splitting each pair into even and odd elements.
@inline(__always)
func transposed8<T: SIMDScalar>(_ r0: SIMD8<T>, _ r1: SIMD8<T>, _ r2: SIMD8<T>, _ r3: SIMD8<T>,
                                _ r4: SIMD8<T>, _ r5: SIMD8<T>, _ r6: SIMD8<T>, _ r7: SIMD8<T>)
    -> (SIMD8<T>, SIMD8<T>, SIMD8<T>, SIMD8<T>, SIMD8<T>, SIMD8<T>, SIMD8<T>, SIMD8<T>) {
    @inline(__always) func split(_ a: SIMD8<T>, _ b: SIMD8<T>) -> (SIMD8<T>, SIMD8<T>) {
        let pair = SIMD16(lowHalf: a, highHalf: b)
        return (pair.evenHalf, pair.oddHalf)
    }
    var v = (r0, r1, r2, r3, r4, r5, r6, r7)
    for _ in 0..<3 {
        let (a0, b0) = split(v.0, v.1), (a1, b1) = split(v.2, v.3), (a2, b2) = split(v.4, v.5), (a3, b3) = split(v.6, v.7)
        v = (a0, a1, a2, a3, b0, b1, b2, b3)
    }
    return v
}
