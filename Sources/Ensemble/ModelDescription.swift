import Foundation
import Kernels
import MPI
import ModelInterface
import SFNO
import ShallowWater
import Sphere
import Storage

/// What the members of a run are integrated with, known before any weight is read: one description per
/// model of the model perturbation (`ForecastModelDescription`) — the checkpoints (`model: sfno`), or the
/// shallow-water model of the built-in world set up like the solver that made the initial-condition file
/// (`model: shallow-water`) — and the grid, channels and step they share. The two initialisers are the one
/// place that knows the families; everything after asks the descriptions.
public struct ModelDescription: Sendable {
    /// One per model index (`Member.checkpoint`), in configuration order.
    public let models: [any ForecastModelDescription]
    /// The checkpoints' descriptions (no weights), in configuration order; none for shallow water.
    public let checkpoints: [Checkpoint]
    public let channels: [String]
    public let nlat: Int
    public let nlon: Int
    public let grid: SphereGrid
    public let latitudes: [Double]
    public let longitudes: [Double]
    public let stepHours: Int

    /// Models of the model perturbation: the checkpoints, or the one shallow-water model.
    public var modelCount: Int { models.count }
    /// The family and variant of the models, for the run's summary.
    public var modelName: String { models[0].modelName }
    /// Whether a model group of several ranks can share a member.
    public var splitsOverModelGroups: Bool { models.allSatisfy(\.splitsOverModelGroups) }

    /// The checkpoints' descriptions, their networks to be loaded with 1×1 convolutions in `precision`; all
    /// must share grid, channels and step.
    init(checkpoints paths: [String], precision: GEMMPrecision) throws {
        var problems: [String] = []
        var loaded: [Checkpoint] = []
        for (i, path) in paths.enumerated() {
            do {
                var checkpoint = try Checkpoint(path: path, weights: false)
                checkpoint.gemmPrecision = precision
                if checkpoint.runsOneStepOnly {
                    problems.append("checkpoints[\(i)] \(path): the network maps \(checkpoint.inChannels) channels to \(checkpoint.outChannels), so it cannot be rolled out")
                }
                loaded.append(checkpoint)
            } catch {
                problems.append("checkpoints[\(i)]: \(error)")
            }
        }
        guard problems.isEmpty, let first = loaded.first else { throw RunError(problems: problems) }
        for (i, other) in loaded.enumerated().dropFirst() {
            if other.nlat != first.nlat || other.nlon != first.nlon || other.grid != first.grid {
                problems.append("checkpoints[\(i)] \(other.path): grid \(other.nlat) × \(other.nlon) \(other.grid.rawValue) differs from checkpoints[0]'s \(first.nlat) × \(first.nlon) \(first.grid.rawValue); every checkpoint of a run must share the grid")
            }
            if other.rolloutChannels != first.rolloutChannels {
                problems.append("checkpoints[\(i)] \(other.path): channels \(other.rolloutChannels) differ from checkpoints[0]'s \(first.rolloutChannels)")
            }
            if other.dhours != first.dhours {
                problems.append("checkpoints[\(i)] \(other.path): step \(other.dhours) h differs from checkpoints[0]'s \(first.dhours) h")
            }
        }
        if first.dhours <= 0 {
            problems.append("checkpoints[0] \(first.path): the step (dhours) is \(first.dhours); reconvert with --dhours")
        }
        guard problems.isEmpty else { throw RunError(problems: problems) }
        self.init(models: loaded, checkpoints: loaded)
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
        let description: ShallowWaterModelDescription
        do {
            description = try ShallowWaterModelDescription(nlat: nlat, nlon: nlon, grid: grid, dt: dt, lmax: lmax, mmax: mmax,
                                                           parameters: parameters, stepHours: source.dhours, source: file)
        } catch {
            throw RunError("model: shallow-water on \(nlat) × \(nlon) from \(file): \(error)")
        }
        self.init(models: [description], checkpoints: [])
    }

    /// The grid, channels and step of the first model (the initialisers checked that the others share them).
    private init(models: [any ForecastModelDescription], checkpoints: [Checkpoint]) {
        let first = models[0]
        self.models = models
        self.checkpoints = checkpoints
        channels = first.rolloutChannels
        (nlat, nlon, grid) = (first.nlat, first.nlon, first.grid)
        (latitudes, longitudes) = (first.latitudes, first.longitudes)
        stepHours = first.stepHours
    }

    /// The model of model index `index` (a checkpoint's network, or the shallow-water model). With a model
    /// group of several ranks the network is the model-parallel one, each rank reading its shard of the
    /// weights.
    func makeModel(_ index: Int, processGrid: ProcessGrid) throws -> any ForecastModel {
        try models[index].makeModel(processGrid: processGrid)
    }

    /// Each channel's scale for the noise perturbations (amplitude in units of it), from the model's
    /// description: a checkpoint's normalisation standard deviation, or for shallow water the standard
    /// deviation over the grid of `state` (the initial state).
    func channelScales(model index: Int, state: [Float]) -> [Float] {
        models[index].channelScales(initialState: state)
    }
}
