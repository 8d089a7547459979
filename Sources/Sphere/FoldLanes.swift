import ComplexModule

/// The north/south fold of a latitude pair's spectra, read from the lanes of the longitude FFT
/// (`LaneRealFFT`: eight fields' spectra, order m of field i in lane i of `re[m]`, `im[m]`), into runs of
/// fields per order; and the unfold back into lanes.
///
/// The lanes already hold the fields side by side, so an order's eight values are one pair of vectors: the
/// fold is a vector expression and an interleave of the real and imaginary parts into one 64-byte run
/// (Float) per order. The arithmetic is the scalar fold's, `w (N + S)` and `w (N − S)` (unfold `E + O`,
/// `E − O`), lane by lane, so the results are bitwise those of the plain path (`legendreAnalysis` on
/// order-major spectra, which the distributed transform runs).
///
/// Layouts: `even`, `odd` `[orders][stride]` complex (an order's fields contiguous, field i at `i`).

/// The lanes of one latitude: spectra `re`, `im` `[length/2 + 1]`, order m of field i in lane i.
struct SpectrumLanes<T: SHTScalar> {
    let re: UnsafeMutablePointer<SIMD8<T>>
    let im: UnsafeMutablePointer<SIMD8<T>>
}

/// `even[m][i] = w (N[m][i] + S[m][i])`, `odd[m][i] = w (N[m][i] − S[m][i])` for `i < fields`, `m < orders`;
/// without `south` (the equator of an odd grid) `even = w N` and `odd = 0`.
@inline(__always)
func foldLanes<T: SHTScalar>(north: SpectrumLanes<T>, south: SpectrumLanes<T>?, fields: Int, orders: Int, weight: T,
                             even: UnsafeMutablePointer<Complex<T>>, odd: UnsafeMutablePointer<Complex<T>>, stride: Int) {
    let w = SIMD8<T>(repeating: weight)
    for m in 0..<orders {
        let nr = north.re[m], ni = north.im[m]
        if let south {
            let sr = south.re[m], si = south.im[m]
            storeInterleaved(w * (nr + sr), w * (ni + si), fields: fields, to: even + m * stride)
            storeInterleaved(w * (nr - sr), w * (ni - si), fields: fields, to: odd + m * stride)
        } else {
            storeInterleaved(w * nr, w * ni, fields: fields, to: even + m * stride)
            storeInterleaved(SIMD8(), SIMD8(), fields: fields, to: odd + m * stride)
        }
    }
}

/// The inverse of `foldLanes` without the weight: `N[m] = E[m] + O[m]`, `S[m] = E[m] − O[m]` for
/// `m < orders`, zero for `orders ≤ m < spectrumLength`; without `south`, only the northern lanes. Lanes past
/// `fields` are zero.
@inline(__always)
func unfoldLanes<T: SHTScalar>(even: UnsafePointer<Complex<T>>, odd: UnsafePointer<Complex<T>>, stride: Int, fields: Int,
                               orders: Int, spectrumLength: Int, north: SpectrumLanes<T>, south: SpectrumLanes<T>?) {
    for m in 0..<orders {
        let (er, ei) = loadDeinterleaved(even + m * stride, fields: fields)
        let (or, oi) = loadDeinterleaved(odd + m * stride, fields: fields)
        north.re[m] = er + or
        north.im[m] = ei + oi
        if let south {
            south.re[m] = er - or
            south.im[m] = ei - oi
        }
    }
    for m in orders..<max(orders, spectrumLength) {
        north.re[m] = SIMD8()
        north.im[m] = SIMD8()
        if let south {
            south.re[m] = SIMD8()
            south.im[m] = SIMD8()
        }
    }
}

/// Lanes `i < fields` of `re`, `im` as complex values `to[i]`: for eight fields, two interleaving shuffles
/// and one 64-byte store (Float).
@inline(__always)
private func storeInterleaved<T: SHTScalar>(_ re: SIMD8<T>, _ im: SIMD8<T>, fields: Int, to: UnsafeMutablePointer<Complex<T>>) {
    if fields == 8 {
        let raw = UnsafeMutableRawPointer(to)
        raw.storeBytes(of: SIMD8(re[0], im[0], re[1], im[1], re[2], im[2], re[3], im[3]), as: SIMD8<T>.self)
        raw.storeBytes(of: SIMD8(re[4], im[4], re[5], im[5], re[6], im[6], re[7], im[7]),
                       toByteOffset: MemoryLayout<SIMD8<T>>.stride, as: SIMD8<T>.self)
    } else {
        for i in 0..<fields { to[i] = Complex(re[i], im[i]) }
    }
}

/// `from[i]` for `i < fields` as lanes of real and imaginary parts, zero past `fields`.
@inline(__always)
private func loadDeinterleaved<T: SHTScalar>(_ from: UnsafePointer<Complex<T>>, fields: Int) -> (SIMD8<T>, SIMD8<T>) {
    if fields == 8 {
        let raw = UnsafeRawPointer(from)
        let pair = SIMD16(lowHalf: raw.loadUnaligned(as: SIMD8<T>.self),
                          highHalf: raw.loadUnaligned(fromByteOffset: MemoryLayout<SIMD8<T>>.stride, as: SIMD8<T>.self))
        return (pair.evenHalf, pair.oddHalf)
    }
    var re = SIMD8<T>(), im = SIMD8<T>()
    for i in 0..<fields {
        re[i] = from[i].real
        im[i] = from[i].imaginary
    }
    return (re, im)
}
