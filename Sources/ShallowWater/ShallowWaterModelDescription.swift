import MPI
import ModelInterface
import Sphere

/// The shallow-water model of the built-in world on a grid, as a run plans with it (`model: shallow-water`):
/// the solver's settings, checked by building the solver once, and the channels `myriad swe` writes.
public struct ShallowWaterModelDescription: ForecastModelDescription {
    public let nlat: Int
    public let nlon: Int
    public let grid: SphereGrid
    /// Time step of the solver in seconds.
    public let dt: Double
    /// Spectral truncation (degrees and orders, exclusive).
    public let lmax: Int
    public let mmax: Int
    public let parameters: ShallowWaterParameters
    public let stepHours: Int
    public let latitudes: [Double]
    public let longitudes: [Double]
    /// The file whose states the model starts from (for messages).
    public let source: String

    /// Throws `SphereError` when the solver cannot be built or `stepHours` is not a whole number of its steps.
    public init(nlat: Int, nlon: Int, grid: SphereGrid, dt: Double, lmax: Int, mmax: Int,
                parameters: ShallowWaterParameters, stepHours: Int, source: String) throws {
        let solver = try ShallowWaterSolver(nlat: nlat, nlon: nlon, dt: dt, lmax: lmax, mmax: mmax, grid: grid,
                                            parameters: parameters)
        _ = try ShallowWaterModel(solver: solver, stepHours: stepHours)
        (self.nlat, self.nlon, self.grid) = (nlat, nlon, grid)
        (self.dt, self.lmax, self.mmax, self.parameters) = (dt, lmax, mmax, parameters)
        self.stepHours = stepHours
        latitudes = solver.latitudes.map { $0 * 180 / Double.pi }
        longitudes = solver.longitudes.map { $0 * 180 / Double.pi }
        self.source = source
    }

    public var modelName: String { "shallow-water (lmax \(lmax), dt \(dt) s)" }
    /// Also the channels it reads and writes; it needs no valid time, and runs on one rank per member
    /// (`ForecastModelDescription`'s defaults).
    public var rolloutChannels: [String] { ShallowWaterChannel.allCases.map(\.rawValue) }

    /// The standard deviation of each channel of `initialState` over the grid (unweighted): the model has no
    /// normalisation of its own to take scales from.
    public func channelScales(initialState: [Float]) -> [Float] {
        let n = nlat * nlon
        return rolloutChannels.indices.map { c in
            let values = initialState[(c * n)..<((c + 1) * n)].map(Double.init)
            let mean = values.reduce(0, +) / Double(n)
            return Float((values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)).squareRoot())
        }
    }

    /// The model on this rank (the solver is not split: `splitsOverModelGroups` is false).
    public func makeModel(processGrid: ProcessGrid) throws -> any ForecastModel {
        let solver = try ShallowWaterSolver(nlat: nlat, nlon: nlon, dt: dt, lmax: lmax, mmax: mmax, grid: grid,
                                            parameters: parameters)
        return ShallowWaterForecastModel(model: try ShallowWaterModel(solver: solver, stepHours: stepHours))
    }
}
