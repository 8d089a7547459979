import ComplexModule
import RealModule
import Sphere

/// A shallow-water state at a time: the solver's spectral state plus its valid time.
public struct ShallowWaterState: Sendable {
    /// `[3][lmax][mmax]`: geopotential, vorticity, divergence (see `ShallowWaterSolver`).
    public var spectral: [Complex<Double>]
    /// Hours since the start of the run.
    public var hours: Double

    public init(spectral: [Complex<Double>], hours: Double = 0) {
        self.spectral = spectral
        self.hours = hours
    }
}

/// The solver as a forecast model with the SFNO's interface: state at t → state at t + `stepHours`.
///
/// Each `step` is one call of `ShallowWaterSolver.timestep` over `stepHours`, so the Adams–Bashforth history
/// restarts every step, as in torch-harmonics' `PdeDataset` (which also calls `timestep` once per sample).
public struct ShallowWaterModel: Sendable {
    public let solver: ShallowWaterSolver
    /// Hours per model step (6, as the SFNO).
    public let stepHours: Int

    public init(solver: ShallowWaterSolver, stepHours: Int = 6) throws {
        let steps = Double(stepHours) * 3600 / solver.dt
        guard stepHours > 0, steps == steps.rounded() else {
            throw SphereError(
                "model step of \(stepHours) h is not a whole number of solver steps of \(solver.dt) s; choose a dt that divides \(stepHours * 3600) s")
        }
        self.solver = solver
        self.stepHours = stepHours
    }

    /// Solver steps per model step.
    public var solverSteps: Int { Int((Double(stepHours) * 3600 / solver.dt).rounded()) }

    /// The state `stepHours` later.
    public func step(_ state: ShallowWaterState) -> ShallowWaterState {
        ShallowWaterState(spectral: solver.timestep(state.spectral, steps: solverSteps),
                          hours: state.hours + Double(stepHours))
    }
}
