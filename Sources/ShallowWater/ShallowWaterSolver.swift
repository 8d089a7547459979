import ComplexModule
import Foundation
import RealModule
import Sphere

/// The shallow-water equations on the rotating sphere in vorticity–divergence form, solved spectrally:
/// torch-harmonics 0.9.3's `examples/shallow_water_equations.py` (`ShallowWaterSolver`), in float64.
///
/// State: spectral coefficients `[3][lmax][mmax]` of the geopotential `Φ = g h` (m²/s²), the relative
/// vorticity `ζ` and the divergence `δ` (1/s), orthonormal harmonics *without* the Condon–Shortley phase
/// (torch-harmonics `csphase=False`), zero where `m > l`. On the grid: latitudes north → south, longitudes
/// `2πj/nlon`; the wind `(u, v)` is eastward, northward (m/s).
///
/// Tendencies (`dudtspec`): with `(u, v)` from `ζ, δ` through the inverse vector SHT,
/// `∂ζ/∂t = −∇·((ζ + f) u)`, `∂δ/∂t = k·∇×((ζ + f) u) − ∇²(Φ + |u|²/2)`, `∂Φ/∂t = −∇·(Φ u)`.
/// Time stepping (`timestep`): third-order Adams–Bashforth, started by one forward-Euler step and one step
/// with weights `(28 f₁ − 16 f₀)/12` (torch-harmonics' start, not textbook AB2); after each step
/// vorticity and divergence are multiplied by the implicit hyperdiffusion
/// `exp(−(dt/2 h⁻¹) (l(l+1)/(L(L+1)))⁴)`, `L = lmax − 1`. Every call of `timestep` restarts the history, as
/// torch-harmonics' does.
public final class ShallowWaterSolver: @unchecked Sendable {
    public let grid: SphereGrid
    public let nlat: Int
    public let nlon: Int
    public let lmax: Int
    public let mmax: Int
    /// Time step, s.
    public let dt: Double
    public let parameters: ShallowWaterParameters
    /// Latitudes in radians, north → south (`asin(cos θ_k)`).
    public let latitudes: [Double]
    /// Longitudes in radians, `2πj/nlon`.
    public let longitudes: [Double]
    /// Quadrature weights of the latitudes (`Σ_k w_k f(cos θ_k) ≈ ∫_{−1}^{1} f dx`).
    public let quadratureWeights: [Double]

    let sht: RealSHT<Double>
    let vsht: RealVectorSHT<Double>
    /// `−l(l+1)/r²`, `[lmax]`.
    let laplacian: [Double]
    /// `−r²/(l(l+1))`, 0 at l = 0.
    let inverseLaplacian: [Double]
    /// The implicit hyperdiffusion factor per degree.
    let hyperdiffusion: [Double]
    /// `2Ω sin φ_k`, `[nlat]`.
    let coriolis: [Double]

    /// Values in one spectral field.
    public var spectralCount: Int { lmax * mmax }
    /// Values in one grid field.
    public var gridCount: Int { nlat * nlon }

    /// - Parameters:
    ///   - dt: time step in seconds.
    ///   - lmax, mmax: truncation; default the SHT's natural one (torch-harmonics' default: `(nlat+1)/2` on
    ///     the equiangular grid, `nlat` on Legendre–Gauss, `mmax = lmax`).
    public init(nlat: Int, nlon: Int, dt: Double, lmax: Int? = nil, mmax: Int? = nil,
                grid: SphereGrid = .equiangular, parameters: ShallowWaterParameters = .earth) throws {
        guard dt > 0, dt.isFinite else {
            throw SphereError("shallow-water time step \(dt) s is not a positive number of seconds")
        }
        sht = try RealSHT<Double>(grid: grid, nlat: nlat, nlon: nlon, lmax: lmax, mmax: mmax,
                                  condonShortleyPhase: false)
        vsht = try RealVectorSHT<Double>(grid: grid, nlat: nlat, nlon: nlon, lmax: sht.lmax, mmax: sht.mmax,
                                         condonShortleyPhase: false, degreeNormalisation: .torchHarmonics)
        guard sht.lmax >= 2 else {
            throw SphereError("shallow-water truncation lmax \(sht.lmax) is too small: need at least 2 degrees")
        }
        self.grid = grid
        self.nlat = nlat
        self.nlon = nlon
        self.lmax = sht.lmax
        self.mmax = sht.mmax
        self.dt = dt
        self.parameters = parameters
        let r = parameters.radius
        latitudes = sht.quadrature.cosTheta.map { asin($0) }
        longitudes = (0..<nlon).map { 2 * Double.pi * Double($0) / Double(nlon) }
        quadratureWeights = sht.quadrature.weights
        laplacian = (0..<sht.lmax).map { l in -Double(l) * Double(l + 1) / (r * r) }
        inverseLaplacian = (0..<sht.lmax).map { l in l == 0 ? 0 : -(r * r) / Double(l) / Double(l + 1) }
        let last = laplacian[sht.lmax - 1]
        hyperdiffusion = laplacian.map { exp((-dt / 2 / 3600) * Foundation.pow($0 / last, 4)) }
        coriolis = latitudes.map { 2 * parameters.omega * sin($0) }
    }

    /// Myriad's default time step for `nlat` latitudes: `3600 / ⌈3600 nlat / 19200⌉` s — torch-harmonics'
    /// 150 s at 128 latitudes scaled with the grid spacing, rounded down to a whole number of steps per hour
    /// (300 s at 64, 75 s at 256, 25 s at 721).
    public static func defaultTimeStep(nlat: Int) -> Double {
        3600 / (3600 * Double(nlat) / 19200).rounded(.up)
    }

    /// Myriad's default truncation for `nlat` latitudes: `⌈nlat/3⌉` degrees, as torch-harmonics' `PdeDataset`
    /// (its shallow-water training data) sets it — free of aliasing for the quadratic terms. (The solver's
    /// own default, `lmax: nil`, is the SHT's natural truncation, as torch-harmonics' `ShallowWaterSolver`.)
    public static func defaultDegreeCount(nlat: Int) -> Int { (nlat + 2) / 3 }

    // MARK: - Transforms (csphase = False)

    /// Grid fields of `batch` spectral fields: `[batch][lmax][mmax]` → `[batch][nlat][nlon]`.
    public func spectralToGrid(_ coefficients: ArraySlice<Complex<Double>>, batch: Int) -> [Double] {
        sht.inverse(Array(coefficients), batch: batch)
    }

    /// Spectral fields of `batch` grid fields: `[batch][nlat][nlon]` → `[batch][lmax][mmax]`.
    public func gridToSpectral(_ fields: [Double], batch: Int) -> [Complex<Double>] {
        sht.forward(fields, batch: batch)
    }

    /// Vorticity and divergence coefficients of `batch` wind fields (`vrtdivspec`: `∇²r · vsht`).
    /// - winds: `[batch][2][nlat][nlon]` (u, v) → `[batch][2][lmax][mmax]` (ζ, δ)
    public func vorticityDivergence(_ winds: [Double], batch: Int) -> [Complex<Double>] {
        var coefficients = vsht.forward(winds, batch: batch)
        let r = parameters.radius
        for index in coefficients.indices {
            let l = (index / mmax) % lmax
            coefficients[index] = coefficients[index] * (laplacian[l] * r)
        }
        return coefficients
    }

    /// Winds of `batch` vorticity–divergence pairs (`getuv`: `ivsht(∇⁻² · /r)`).
    /// - coefficients: `[batch][2][lmax][mmax]` (ζ, δ) → `[batch][2][nlat][nlon]` (u, v)
    public func winds(_ coefficients: ArraySlice<Complex<Double>>, batch: Int) -> [Double] {
        let r = parameters.radius
        var scaled = Array(coefficients)
        for index in scaled.indices {
            let l = (index / mmax) % lmax
            scaled[index] = (scaled[index] * inverseLaplacian[l]) / r
        }
        return vsht.inverse(scaled, batch: batch)
    }

    /// Geopotential, u and v on the grid (`gethuv`): `[3][nlat][nlon]`.
    public func geopotentialAndWinds(_ state: [Complex<Double>]) -> [Double] {
        precondition(state.count == 3 * spectralCount, "ShallowWaterSolver: a state holds 3 × \(lmax) × \(mmax) coefficients, got \(state.count)")
        return spectralToGrid(state[0..<spectralCount], batch: 1) + winds(state[spectralCount...], batch: 1)
    }

    // MARK: - Dynamics

    /// Time derivative of a spectral state (`dudtspec`): `[3][lmax][mmax]`.
    public func tendency(_ state: [Complex<Double>]) -> [Complex<Double>] {
        precondition(state.count == 3 * spectralCount, "ShallowWaterSolver: a state holds 3 × \(lmax) × \(mmax) coefficients, got \(state.count)")
        let n = gridCount, s = spectralCount
        let fields = spectralToGrid(state[0..<(2 * s)], batch: 2)     // Φ, ζ (δ on the grid is not needed)
        let wind = winds(state[s...], batch: 1)                       // u, v
        // [(u, v)(ζ + f), (u, v) Φ] and Φ + |u|²/2 on the grid.
        var fluxes = [Double](repeating: 0, count: 4 * n)
        var energy = [Double](repeating: 0, count: n)
        for k in 0..<nlat {
            let f = coriolis[k]
            for j in 0..<nlon {
                let p = k * nlon + j
                let u = wind[p], v = wind[n + p]
                let phi = fields[p]
                let absolute = fields[n + p] + f
                fluxes[p] = u * absolute
                fluxes[n + p] = v * absolute
                fluxes[2 * n + p] = u * phi
                fluxes[3 * n + p] = v * phi
                energy[p] = phi + 0.5 * (u * u + v * v)
            }
        }
        let fluxSpectra = vorticityDivergence(fluxes, batch: 2)
        let energySpectrum = gridToSpectral(energy, batch: 1)
        var result = [Complex<Double>](repeating: .zero, count: 3 * s)
        for index in 0..<s {
            let l = index / mmax
            result[index] = -fluxSpectra[3 * s + index]
            result[s + index] = -fluxSpectra[s + index]
            result[2 * s + index] = fluxSpectra[index] - energySpectrum[index] * laplacian[l]
        }
        return result
    }

    /// `steps` time steps from `state` (`timestep`): Adams–Bashforth 3 started afresh, hyperdiffusion on ζ, δ.
    public func timestep(_ state: [Complex<Double>], steps: Int) -> [Complex<Double>] {
        precondition(steps >= 0, "ShallowWaterSolver.timestep: negative step count \(steps)")
        let s = spectralCount
        var current = state
        var previous: [Complex<Double>] = []      // f_{n−1}
        var beforePrevious: [Complex<Double>] = [] // f_{n−2}
        for iteration in 0..<steps {
            let newest = tendency(current)
            if iteration == 0 {
                previous = newest
                beforePrevious = newest
            } else if iteration == 1 {
                beforePrevious = newest
            }
            for index in current.indices {
                let increment = newest[index] * (23.0 / 12.0) - previous[index] * (16.0 / 12.0)
                    + beforePrevious[index] * (5.0 / 12.0)
                current[index] = current[index] + increment * dt
            }
            for index in s..<(3 * s) {
                current[index] = current[index] * hyperdiffusion[(index % s) / mmax]
            }
            beforePrevious = previous
            previous = newest
        }
        return current
    }

    // MARK: - Diagnostics

    /// `∫ field dA` over the sphere of radius r for a grid field `[nlat][nlon]` (`integrate_grid`).
    public func integrate(_ field: ArraySlice<Double>) -> Double {
        precondition(field.count == gridCount, "ShallowWaterSolver.integrate: \(field.count) values, expected \(nlat) × \(nlon)")
        let scale = 2 * Double.pi / Double(nlon) * parameters.radius * parameters.radius
        var total = 0.0
        let base = field.startIndex
        for k in 0..<nlat {
            var row = 0.0
            for j in 0..<nlon { row += field[base + k * nlon + j] }
            total += row * quadratureWeights[k]
        }
        return total * scale
    }

    /// Mass `∫ h dA` (m³) and total energy `∫ (h |u|² + g h²)/2 dA` (per unit density, m⁵/s²) of a state.
    public func massAndEnergy(_ state: [Complex<Double>]) -> (mass: Double, energy: Double) {
        let fields = geopotentialAndWinds(state)
        let n = gridCount, g = parameters.gravity
        var height = [Double](repeating: 0, count: n)
        var energy = [Double](repeating: 0, count: n)
        for p in 0..<n {
            let h = fields[p] / g
            let u = fields[n + p], v = fields[2 * n + p]
            height[p] = h
            energy[p] = 0.5 * (h * (u * u + v * v) + g * h * h)
        }
        return (integrate(height[...]), integrate(energy[...]))
    }
}
