import Foundation
import ModelInterface

/// The shallow-water model as a `ForecastModel` on grid channels, so that `myriad run` can run ensembles of
/// the built-in world's own physics (`model: shallow-water`): a perfect-model baseline for the demo SFNOs.
///
/// A step takes the grid channels to the solver's spectral state — geopotential `g·height`, vorticity from
/// the vorticity channel, divergence from the wind (u, v) — runs one `ShallowWaterModel` step and returns
/// the four channels. Vorticity comes from its own channel rather than from the wind because the wind does
/// not carry its global mean (degree 0), which `myriad swe`'s random states have and the solver's
/// dynamics feel. States are in physical units (`PhysicalUnitsForecastModel`): there is no normalisation.
public final class ShallowWaterForecastModel: PhysicalUnitsForecastModel, @unchecked Sendable {
    public let model: ShallowWaterModel
    public var solver: ShallowWaterSolver { model.solver }
    public let stateChannels = ShallowWaterChannel.allCases.map(\.rawValue)
    public var nlat: Int { solver.nlat }
    public var nlon: Int { solver.nlon }
    public var stepHours: Int { model.stepHours }

    public init(model: ShallowWaterModel) {
        self.model = model
    }

    /// - state: `[height, u, v, vorticity][nlat][nlon]`
    public func step(_ state: inout [Float], validTime: Date) throws {
        let n = nlat * nlon
        precondition(state.count == 4 * n, "ShallowWaterForecastModel: a state holds 4 × \(nlat) × \(nlon) values")
        let gravity = solver.parameters.gravity
        let s = solver.spectralCount
        let geopotentialAndVorticity = (0..<n).map { Double(state[$0]) * gravity } + (3 * n..<4 * n).map { Double(state[$0]) }
        let winds = (n..<(3 * n)).map { Double(state[$0]) }
        let spectral = solver.gridToSpectral(geopotentialAndVorticity, batch: 2)
            + solver.vorticityDivergence(winds, batch: 1)[s..<(2 * s)]
        let next = model.step(ShallowWaterState(spectral: spectral))
        state = solver.channels(next.spectral)
    }
}
