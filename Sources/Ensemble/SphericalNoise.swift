import ComplexModule
import Foundation
import Kernels
import RealModule
import Sphere

/// The correlated Gaussian field on the sphere that seeds HENS's bred vectors: the SPPT-style pattern of
/// earth2studio's `CorrelatedSphericalField` (taken from the HENS earth2mip fork), drawn from Myriad's
/// counter-based generator so that a field is a pure function of its key `(seed, stream)`.
///
/// With length scale `L`, time scale `τ`, step `Δt`, standard deviation `σ` and Earth radius `R`:
///
///     kT  = (L/R)² / 2,   φ = exp(−Δt/τ)
///     σ_n = exp(−kT·n(n+1)/2) · F0,   F0 = sqrt(σ²(1−φ²) / (2 Σ_{n=1}^{lmax−1} (2n+1) exp(−kT·n(n+1))))
///     a_nm = (1−φ²)^(−½) σ_n ξ_nm,    ξ complex standard normal (real and imaginary parts N(0, 1))
///     x    = 4π · ISHT_backward(a) = √(4π) · ISHT_ortho(a)
///
/// earth2studio synthesises with torch-harmonics' `InverseRealSHT(norm="backward")`, whose Legendre functions
/// are the orthonormal ones divided by √(4π); Myriad's `RealSHT` is orthonormal, hence the factor √(4π) here.
/// The spatial correlation is close to `exp(−d²/(2L²))` at great-circle distance `d` (a heat kernel).
///
/// The grid-point variance, averaged over the sphere, is not exactly σ² but
/// `σ² (1 + (2 − Σ_{n<lmax} e_n) / (2 Σ_{n≥1} (2n+1) e_n))` with `e_n = exp(−kT·n(n+1))`
/// (`expectedMeanVariance`): F0 leaves out n = 0 though the field keeps it, and the imaginary parts at m = 0
/// carry no variance. At 721 × 1440 and L = 500 km that is 0.978 σ².
///
/// Where Myriad differs from earth2studio (on purpose):
/// - Imaginary parts at m = 0 are set to zero (torch-harmonics' `irfft` drops them; the field is the same).
///   n = 0 is kept with amplitude F0, as earth2studio does (its `GaussianRandomFieldS2` zeroes it, this one not).
/// - The field is synthesised on the target grid itself. earth2studio draws it on an `N × 2N` equiangular grid
///   with `N` even and, for 721 rows, copies row 719 into row 720 (its "hack for odd lat coords").
/// - earth2studio gives the members of one batch consecutive states of the AR(1) process (correlated by φ);
///   here every key is an independent draw from the stationary distribution. `advance` does the AR(1) step
///   for callers that want time-correlated noise.
/// - Draw order within a stream: for each `(n, m)` of the `[lmax][mmax]` layout, one `normalPair()` gives
///   (re, im), also where `m > n` (then discarded), like torch's `(N, lmax, mmax, 2)` sample.
public struct SphericalNoise: Sendable {
    public let grid: SphereGrid
    public let nlat: Int
    public let nlon: Int
    /// Degrees kept (exclusive); the orders kept are as many (triangular truncation).
    public var lmax: Int { sht.lmax }
    public let lengthScale: Double
    public let timeScale: Double
    public let stepHours: Double
    public let sigma: Double
    public let earthRadius: Double
    /// `(L/R)² / 2`.
    public let kT: Double
    /// `exp(−Δt/τ)`, the AR(1) coefficient per step.
    public let phi: Double
    /// The normalisation `F0`.
    public let f0: Double
    /// `σ_n` per degree `n < lmax` (the AR(1) innovation amplitudes).
    public let innovationAmplitudes: [Double]
    let sht: RealSHT<Float>

    /// - Parameters:
    ///   - lmax: degrees kept (exclusive); default: the grid's natural truncation (torch-harmonics' default).
    ///   - lengthScale: `L` in metres (HENS: 500 km).
    ///   - timeScale: `τ` in hours (HENS: 48 h).
    ///   - stepHours: `Δt` in hours, the model step (HENS: 6 h).
    ///   - sigma: `σ`, the intended grid-point standard deviation.
    ///   - earthRadius: `R` in metres.
    public init(grid: SphereGrid, nlat: Int, nlon: Int, lmax: Int? = nil, lengthScale: Double = 5.0e5,
                timeScale: Double = 48, stepHours: Double = 6, sigma: Double = 1,
                earthRadius: Double = 6.371e6) throws {
        guard lengthScale > 0, timeScale > 0, stepHours > 0, sigma >= 0, earthRadius > 0 else {
            throw SphereError("SphericalNoise: length scale \(lengthScale), time scale \(timeScale), step "
                + "\(stepHours), sigma \(sigma) and radius \(earthRadius) must be positive")
        }
        let sht = try RealSHT<Float>(grid: grid, nlat: nlat, nlon: nlon, lmax: lmax, mmax: lmax)
        guard sht.lmax >= 2 else { throw SphereError("SphericalNoise: need lmax ≥ 2, got \(sht.lmax)") }
        self.sht = sht
        self.grid = grid
        self.nlat = nlat
        self.nlon = nlon
        self.lengthScale = lengthScale
        self.timeScale = timeScale
        self.stepHours = stepHours
        self.sigma = sigma
        self.earthRadius = earthRadius
        kT = (lengthScale / earthRadius) * (lengthScale / earthRadius) / 2
        phi = exp(-stepHours / timeScale)
        let kT = kT
        var sum = 0.0
        for n in 1..<sht.lmax { sum += Double(2 * n + 1) * exp(-kT * Double(n * (n + 1))) }
        let denominator = 2 * sum
        f0 = (sigma * sigma * (1 - phi * phi) / denominator).squareRoot()
        let f0 = f0
        innovationAmplitudes = (0..<sht.lmax).map { exp(-kT * Double($0 * ($0 + 1)) / 2) * f0 }
    }

    /// `(1−φ²)^(−½) σ_n`: the standard deviation of the real and imaginary parts of the stationary
    /// coefficients of degree `n`.
    public var stationaryAmplitudes: [Double] {
        let scale = 1 / (1 - phi * phi).squareRoot()
        return innovationAmplitudes.map { $0 * scale }
    }

    /// The sphere-mean of the grid-point variance of `field` (see the type's notes), from the spectrum.
    public var expectedMeanVariance: Double {
        let e = (0..<lmax).map { exp(-kT * Double($0 * ($0 + 1))) }
        let s = (1..<lmax).reduce(0.0) { $0 + Double(2 * $1 + 1) * e[$1] }
        return sigma * sigma * (1 + (2 - e.reduce(0, +)) / (2 * s))
    }

    // MARK: - Drawing

    /// Stationary coefficients of the key `(seed, stream)`: `(1−φ²)^(−½) σ_n ξ_nm`.
    /// - returns: `[lmax][lmax]` complex, zero where `m > n`, real at `m = 0`
    public func coefficients(seed: UInt64, stream: UInt64) -> [Complex<Double>] {
        innovations(seed: seed, stream: stream, amplitudes: stationaryAmplitudes)
    }

    /// One AR(1) step of the coefficients: `a ← φ a + σ_n ξ`, with ξ from the key `(seed, stream)`.
    /// - coefficients: `[lmax][lmax]`
    public func advance(_ coefficients: inout [Complex<Double>], seed: UInt64, stream: UInt64) {
        precondition(coefficients.count == lmax * lmax,
                     "SphericalNoise.advance: \(coefficients.count) coefficients, expected \(lmax) × \(lmax)")
        let xi = innovations(seed: seed, stream: stream, amplitudes: innovationAmplitudes)
        for i in coefficients.indices { coefficients[i] = Complex(phi) * coefficients[i] + xi[i] }
    }

    /// `amplitudes[n] · ξ_nm` on the `[lmax][lmax]` layout.
    private func innovations(seed: UInt64, stream: UInt64, amplitudes: [Double]) -> [Complex<Double>] {
        var random = CounterRandom(seed: seed, stream: stream)
        var out = [Complex<Double>](repeating: .zero, count: lmax * lmax)
        for n in 0..<lmax {
            for m in 0..<lmax {
                let (re, im) = random.normalPair()
                guard m <= n else { continue }
                out[n * lmax + m] = Complex(amplitudes[n] * re, m == 0 ? 0 : amplitudes[n] * im)
            }
        }
        return out
    }

    /// The field of some coefficients: `√(4π) · ISHT_ortho(a)`.
    /// - coefficients: `[lmax][lmax]`
    /// - returns: `[nlat][nlon]`
    public func synthesise(_ coefficients: [Complex<Double>]) -> [Float] {
        precondition(coefficients.count == lmax * lmax,
                     "SphericalNoise.synthesise: \(coefficients.count) coefficients, expected \(lmax) × \(lmax)")
        let scale = (4 * Double.pi).squareRoot()
        let scaled = coefficients.map { Complex(Float($0.real * scale), Float($0.imaginary * scale)) }
        return sht.inverse(scaled, batch: 1)
    }

    /// The stationary field of the key `(seed, stream)`; the same key gives bitwise the same field.
    /// - returns: `[nlat][nlon]`
    public func field(seed: UInt64, stream: UInt64) -> [Float] {
        synthesise(coefficients(seed: seed, stream: stream))
    }

    // MARK: - White noise

    /// White Gaussian noise: `count` independent N(0, σ²) values of the key `(seed, stream)`, in the order
    /// the generator's `normalPair()` gives them.
    /// - returns: `[count]`, e.g. `[nlat][nlon]` for a field
    public static func gaussian(count: Int, seed: UInt64, stream: UInt64, sigma: Float = 1) -> [Float] {
        precondition(count >= 0, "SphericalNoise.gaussian: negative count \(count)")
        var random = CounterRandom(seed: seed, stream: stream)
        var out = [Float](repeating: 0, count: count)
        var i = 0
        while i < count {
            let (a, b) = random.normalPair()
            out[i] = sigma * Float(a)
            if i + 1 < count { out[i + 1] = sigma * Float(b) }
            i += 2
        }
        return out
    }
}
