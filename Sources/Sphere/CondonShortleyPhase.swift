import ComplexModule

/// Switches scalar SHT coefficients between the Condon–Shortley convention (torch-harmonics' default
/// `csphase=True`) and torch-harmonics' `csphase=False`: the two differ by `(−1)^m`, so odd orders are
/// negated. The operation is its own inverse. `RealSHT(condonShortleyPhase: false)` applies it itself.
///
/// - coefficients: `[batch][lmax][mmax]`
@_specialize(exported: true, where T == Float)
@_specialize(exported: true, where T == Double)
public func toggleCondonShortleyPhase<T: SHTScalar>(_ coefficients: UnsafeMutableBufferPointer<Complex<T>>,
                                                    lmax: Int, mmax: Int) {
    precondition(coefficients.count % (lmax * mmax) == 0,
                 "toggleCondonShortleyPhase: \(coefficients.count) coefficients are not a whole number of \(lmax) × \(mmax) sets")
    var row = 0
    while row < coefficients.count {
        var m = 1
        while m < mmax {
            coefficients[row + m] = -coefficients[row + m]
            m += 2
        }
        row += mmax
    }
}

/// `toggleCondonShortleyPhase` on an array.
@_specialize(exported: true, where T == Float)
@_specialize(exported: true, where T == Double)
public func toggleCondonShortleyPhase<T: SHTScalar>(_ coefficients: inout [Complex<T>], lmax: Int, mmax: Int) {
    coefficients.withUnsafeMutableBufferPointer { toggleCondonShortleyPhase($0, lmax: lmax, mmax: mmax) }
}
