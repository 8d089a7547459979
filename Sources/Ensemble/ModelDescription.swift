import Foundation
import MPI
import SFNO
import ShallowWater
import Sphere
import Storage

/// What the members of a run are integrated with, known before any weight is read: the checkpoints'
/// shared grid, channels and step (`model: sfno`), or the shallow-water model of the built-in world set up
/// like the solver that made the initial-condition file (`model: shallow-water`).
public struct ModelDescription: Sendable {
    public enum Kind: Sendable {
        case sfno
        /// The solver's settings, from the data.json `myriad swe` wrote beside its file.
        case shallowWater(dt: Double, lmax: Int, mmax: Int, parameters: ShallowWaterParameters)
    }

    public let kind: Kind
    public let checkpoints: [Checkpoint]
    public let channels: [String]
    public let nlat: Int
    public let nlon: Int
    public let grid: SphereGrid
    public let latitudes: [Double]
    public let longitudes: [Double]
    public let stepHours: Int

    /// Models of the model perturbation: the checkpoints, or the one shallow-water model.
    public var modelCount: Int { max(checkpoints.count, 1) }

    /// The checkpoints' descriptions; all must share grid, channels and step.
    init(checkpoints paths: [String]) throws {
        var problems: [String] = []
        var loaded: [Checkpoint] = []
        for (i, path) in paths.enumerated() {
            do {
                let checkpoint = try Checkpoint(path: path, weights: false)
                if checkpoint.runsOneStepOnly {
                    problems.append("checkpoints[\(i)] \(path): the network maps \(checkpoint.inChannels) channels to \(checkpoint.outChannels), so it cannot be rolled out")
                }
                loaded.append(checkpoint)
            } catch {
                problems.append("checkpoints[\(i)]: \(error)")
            }
        }
        guard problems.isEmpty, let first = loaded.first else { throw RunError(problems: problems) }
        func channels(_ checkpoint: Checkpoint) -> [String] {
            checkpoint.rolloutChannelNames
        }
        for (i, other) in loaded.enumerated().dropFirst() {
            if other.nlat != first.nlat || other.nlon != first.nlon || other.grid != first.grid {
                problems.append("checkpoints[\(i)] \(other.path): grid \(other.nlat) × \(other.nlon) \(other.grid.rawValue) differs from checkpoints[0]'s \(first.nlat) × \(first.nlon) \(first.grid.rawValue); every checkpoint of a run must share the grid")
            }
            if channels(other) != channels(first) {
                problems.append("checkpoints[\(i)] \(other.path): channels \(channels(other)) differ from checkpoints[0]'s \(channels(first))")
            }
            if other.dhours != first.dhours {
                problems.append("checkpoints[\(i)] \(other.path): step \(other.dhours) h differs from checkpoints[0]'s \(first.dhours) h")
            }
        }
        if first.dhours <= 0 {
            problems.append("checkpoints[0] \(first.path): the step (dhours) is \(first.dhours); reconvert with --dhours")
        }
        guard problems.isEmpty else { throw RunError(problems: problems) }
        kind = .sfno
        checkpoints = loaded
        self.channels = channels(first)
        (nlat, nlon, grid) = (first.nlat, first.nlon, first.grid)
        (latitudes, longitudes) = (first.latitudes, first.longitudes)
        stepHours = first.dhours
    }

    /// The shallow-water model on the grid of the initial-condition file, with the truncation, time step and
    /// constants its data.json records (`myriad swe` writes them; defaults otherwise), stepping the file's
    /// `dhours` (6 h by default).
    init(shallowWaterStates configuration: RunConfiguration.InitialConditions) throws {
        guard let file = configuration.file else {
            throw RunError("initial_conditions: a shallow-water run starts from one file (made by `myriad swe`), not a directory")
        }
        let source = try InitialConditionSource(location: .file(file), dhours: configuration.dhours ?? 6)
        let shape = try source.shapeOfFields(file)
        guard shape.count == 4 else {
            throw RunError("initial_conditions.file \(file): 'fields' has shape \(shape), expected [time, channel, lat, lon]")
        }
        let metadata = source.metadata
        let gridName = metadata?.gridType ?? SphereGrid.equiangular.rawValue
        guard let grid = SphereGrid(rawValue: gridName) else {
            throw RunError("\(metadata?.path ?? file): coords.grid_type '\(gridName)' is not equiangular or legendre-gauss")
        }
        let attributes = metadata?.numericAttributes ?? [:]
        var parameters = ShallowWaterParameters.earth
        parameters.radius = attributes["radius"] ?? parameters.radius
        parameters.omega = attributes["omega"] ?? parameters.omega
        parameters.gravity = attributes["gravity"] ?? parameters.gravity
        parameters.havg = attributes["havg"] ?? parameters.havg
        parameters.hamp = attributes["hamp"] ?? parameters.hamp
        let (nlat, nlon) = (shape[2], shape[3])
        let lmax = attributes["lmax"].map { Int($0) } ?? ShallowWaterSolver.defaultDegreeCount(nlat: nlat)
        let mmax = attributes["mmax"].map { Int($0) } ?? lmax
        let dt = attributes["dt_seconds"] ?? ShallowWaterSolver.defaultTimeStep(nlat: nlat)
        let solver: ShallowWaterSolver
        do {
            solver = try ShallowWaterSolver(nlat: nlat, nlon: nlon, dt: dt, lmax: lmax, mmax: mmax, grid: grid, parameters: parameters)
            _ = try ShallowWaterModel(solver: solver, stepHours: source.dhours)
        } catch {
            throw RunError("model: shallow-water on \(nlat) × \(nlon) from \(file): \(error)")
        }
        kind = .shallowWater(dt: dt, lmax: lmax, mmax: mmax, parameters: parameters)
        checkpoints = []
        channels = ShallowWaterChannel.allCases.map(\.rawValue)
        (self.nlat, self.nlon, self.grid) = (nlat, nlon, grid)
        latitudes = solver.latitudes.map { $0 * 180 / Double.pi }
        longitudes = solver.longitudes.map { $0 * 180 / Double.pi }
        stepHours = source.dhours
    }

    /// The model of model index `index` (a checkpoint's network, or the shallow-water model).
    /// With a model group of several ranks the network is the model-parallel one, each rank reading its
    /// shard of the weights.
    func makeModel(_ index: Int, configuration: RunConfiguration, processGrid: ProcessGrid) throws -> any ForecastModel {
        switch kind {
        case .sfno:
            let network = try loadSFNONetwork(checkpoint: configuration.checkpoints[index],
                                              grid: processGrid.model.size > 1 ? processGrid : nil,
                                              precision: configuration.precision)
            return network.decomposition == nil ? network : ModelGroupForecastModel(network)
        case let .shallowWater(dt, lmax, mmax, parameters):
            let solver = try ShallowWaterSolver(nlat: nlat, nlon: nlon, dt: dt, lmax: lmax, mmax: mmax, grid: grid,
                                                parameters: parameters)
            return ShallowWaterForecastModel(model: try ShallowWaterModel(solver: solver, stepHours: stepHours))
        }
    }

    /// Each channel's scale for the noise perturbations (amplitude in units of it): the checkpoint's
    /// normalisation standard deviation, or for shallow water the standard deviation over the grid of
    /// `state` (the initial state).
    func channelScales(model index: Int, state: [Float]) -> [Float] {
        if !checkpoints.isEmpty { return checkpoints[index].stds ?? channels.map { _ in 1 } }
        let n = nlat * nlon
        return channels.indices.map { c in
            let values = state[(c * n)..<((c + 1) * n)].map(Double.init)
            let mean = values.reduce(0, +) / Double(n)
            return Float((values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)).squareRoot())
        }
    }
}
