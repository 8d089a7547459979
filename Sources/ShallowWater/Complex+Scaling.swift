import ComplexModule

// Real scaling of complex coefficients, componentwise as PyTorch does it (no complex product with 0i).
extension Complex where RealType == Double {
    @inline(__always)
    static func * (z: Complex, a: Double) -> Complex { Complex(z.real * a, z.imaginary * a) }

    @inline(__always)
    static func / (z: Complex, a: Double) -> Complex { Complex(z.real / a, z.imaginary / a) }
}
