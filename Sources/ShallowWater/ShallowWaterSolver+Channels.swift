import ComplexModule
import RealModule

/// The grid channels Myriad writes for a shallow-water state (makani layout `[channel][lat][lon]`).
public enum ShallowWaterChannel: String, CaseIterable, Sendable {
    /// Fluid depth `h = Φ/g`, m (mean `havg`, 10 km by default).
    case height
    /// Eastward wind, m/s.
    case u
    /// Northward wind, m/s.
    case v
    /// Relative vorticity `ζ = k·∇×u`, 1/s (positive anticlockwise seen from above).
    case vorticity
    // Units and CF standard names: Storage's ChannelMetadata, the one table of every file Myriad writes.
}

extension ShallowWaterSolver {
    /// The state on the grid as `ShallowWaterChannel.allCases`, `[4][nlat][nlon]` float32.
    public func channels(_ state: [Complex<Double>]) -> [Float] {
        precondition(state.count == 3 * spectralCount, "ShallowWaterSolver: a state holds 3 × \(lmax) × \(mmax) coefficients, got \(state.count)")
        let s = spectralCount, n = gridCount
        let geopotentialAndVorticity = spectralToGrid(state[0..<(2 * s)], batch: 2)
        let wind = winds(state[s...], batch: 1)
        let gravity = parameters.gravity
        var out = [Float](repeating: 0, count: 4 * n)
        for p in 0..<n {
            out[p] = Float(geopotentialAndVorticity[p] / gravity)
            out[n + p] = Float(wind[p])
            out[2 * n + p] = Float(wind[n + p])
            out[3 * n + p] = Float(geopotentialAndVorticity[n + p])
        }
        return out
    }
}
