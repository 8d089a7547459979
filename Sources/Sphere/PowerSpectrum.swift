import ComplexModule

/// Angular power spectrum of real fields from their coefficients: `E(l) = Σ_m c_m |a_lm|²` with
/// `c_0 = 1`, `c_m = 2` for m > 0 (the m < 0 half of a real field's spectrum), accumulated in Double.
///
/// - coefficients: `[batch][lmax][mmax]`
/// - returns: `[batch][lmax]`
public func powerSpectrum<T: BinaryFloatingPoint>(_ coefficients: UnsafeBufferPointer<Complex<T>>, batch: Int,
                                                  lmax: Int, mmax: Int) -> [Double] {
    precondition(coefficients.count == batch * lmax * mmax, "powerSpectrum: \(coefficients.count) ≠ \(batch) × \(lmax) × \(mmax)")
    var power = [Double](repeating: 0, count: batch * lmax)
    for b in 0..<batch {
        for l in 0..<lmax {
            var sum = 0.0
            for m in 0..<min(mmax, l + 1) {
                let a = coefficients[(b * lmax + l) * mmax + m]
                let re = Double(a.real), im = Double(a.imaginary)
                sum += (m == 0 ? 1 : 2) * (re * re + im * im)
            }
            power[b * lmax + l] = sum
        }
    }
    return power
}
