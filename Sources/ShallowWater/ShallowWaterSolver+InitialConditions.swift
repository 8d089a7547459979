import ComplexModule
import Foundation
import Kernels
import RealModule

extension ShallowWaterSolver {
    /// Galewsky et al. (2004)'s barotropically unstable jet (`galewsky_initial_condition`): a zonal jet of
    /// 80 m/s between latitudes π/7 and π/2 − π/7, the geopotential in balance with it (solved spectrally),
    /// plus an unbalanced height bump of `hamp` at 45° N, 180° E. Spectral state `[3][lmax][mmax]`.
    public func galewskyInitialCondition() -> [Complex<Double>] {
        // torch-harmonics makes phi0, phi1, en and umax/en float32 tensors (`torch.asarray` of a Python
        // float), which then enter float64 arithmetic: the same rounding here.
        let phi0f = Float(Double.pi / 7)
        let phi1f = Float(0.5 * Double.pi) - phi0f
        let widthf = phi1f - phi0f
        let enf = Foundation.exp(Float(-4) / (widthf * widthf))
        let phi0 = Double(phi0f), phi1 = Double(phi1f)
        let jetScale = Double(Float(80) / enf)
        let phi2 = 0.25 * Double.pi
        let alpha = 1.0 / 3.0
        let beta = 1.0 / 15.0
        let n = gridCount, s = spectralCount
        let g = parameters.gravity

        var wind = [Double](repeating: 0, count: 2 * n)     // u, v = 0
        var height = [Double](repeating: 0, count: n)       // g (havg + bump)
        for k in 0..<nlat {
            let lat = latitudes[k]
            let inside = lat > phi0 && lat < phi1
            let u = inside ? jetScale * exp(1.0 / ((lat - phi0) * (lat - phi1))) : 0
            for j in 0..<nlon {
                let lon = longitudes[j]
                let x = (lon - Double.pi) / alpha
                let bump = parameters.hamp * cos(lat) * exp(-(x * x)) * exp(-((phi2 - lat) * (phi2 - lat)) / beta)
                wind[k * nlon + j] = u
                height[k * nlon + j] = g * (parameters.havg + bump)
            }
        }
        let vorticityDivergence = vorticityDivergence(wind, batch: 1)
        let vorticityDivergenceGrid = spectralToGrid(vorticityDivergence[...], batch: 2)
        // torch-harmonics multiplies elementwise: (u (ζ + f), v (δ + f)); v = 0.
        var flux = [Double](repeating: 0, count: 2 * n)
        var kinetic = [Double](repeating: 0, count: n)
        for k in 0..<nlat {
            for j in 0..<nlon {
                let p = k * nlon + j
                flux[p] = wind[p] * (vorticityDivergenceGrid[p] + coriolis[k])
                flux[n + p] = wind[n + p] * (vorticityDivergenceGrid[n + p] + coriolis[k])
                kinetic[p] = 0.5 * (wind[p] * wind[p] + wind[n + p] * wind[n + p])
            }
        }
        let fluxSpectra = self.vorticityDivergence(flux, batch: 1)
        let kineticSpectrum = gridToSpectral(kinetic, batch: 1)
        let heightSpectrum = gridToSpectral(height, batch: 1)

        var state = [Complex<Double>](repeating: .zero, count: 3 * s)
        for index in 0..<s {
            let l = index / mmax
            state[index] = fluxSpectra[index] * inverseLaplacian[l] - kineticSpectrum[index] + heightSpectrum[index]
        }
        for index in 0..<(2 * s) { state[s + index] = vorticityDivergence[index] }
        return lowerTriangular(state)
    }

    /// The random initial condition (`random_initial_condition`): for `l, m < 120` every coefficient of
    /// the three fields is complex standard normal (variance ½ per part) times `√(4π/(120·121))`; the
    /// geopotential is scaled by `g·hamp` and gets the mean `√(4π)·havg·g` at (0, 0); vorticity and
    /// divergence are scaled by `mach·√(g·havg)/r`.
    ///
    /// torch-harmonics draws with torch's global generator; here the draws come from
    /// `CounterRandom(seed:stream:)`: the same statistics, reproducible from `(seed, stream)` alone on any
    /// rank. One difference: the imaginary parts at m = 0 are set to zero (torch draws them; they never
    /// reach the grid and only decay under hyperdiffusion).
    public func randomInitialCondition(seed: UInt64, stream: UInt64 = 0, mach: Double = 0.1) -> [Complex<Double>] {
        let limit = 120
        let s = spectralCount
        let amplitude = (4 * Double.pi / Double(limit) / Double(limit + 1)).squareRoot()
        let g = parameters.gravity
        var random = CounterRandom(seed: seed, stream: stream)
        var state = [Complex<Double>](repeating: .zero, count: 3 * s)
        for field in 0..<3 {
            let scale = field == 0 ? g * parameters.hamp
                : mach * (g * parameters.havg).squareRoot() / parameters.radius
            for l in 0..<min(lmax, limit) {
                for m in 0..<min(mmax, limit, l + 1) {
                    let (re, im) = random.normalPair()
                    let factor: Double = amplitude * scale * 0.5.squareRoot()
                    let imaginary: Double = m == 0 ? 0 : im * factor
                    state[field * s + l * mmax + m] = Complex(re * factor, imaginary)
                }
            }
        }
        state[0] = state[0] + Complex((4 * Double.pi).squareRoot() * parameters.havg * g, 0)
        return state
    }

    /// Zeroes `m > l` in every field (`torch.tril`).
    func lowerTriangular(_ state: [Complex<Double>]) -> [Complex<Double>] {
        var state = state
        for index in state.indices where index % mmax > (index / mmax) % lmax {
            state[index] = .zero
        }
        return state
    }
}
