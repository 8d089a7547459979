import MPI
import Sphere

/// A forecast model known before any weight is read — a checkpoint's attributes, a solver's settings: enough
/// to plan a run, check its input files and make the model on each rank. Every model family implements it
/// (`Checkpoint` in SFNO, `ShallowWaterModelDescription` in ShallowWater), so that the runner
/// (`Ensemble.ModelDescription`) and the CLI (`myriad forward`) ask the description instead of branching
/// on the family or the architecture.
public protocol ForecastModelDescription: Sendable {
    /// The family and variant, for logs and summaries ("makani-sfno", "torch-harmonics-sfno", "shallow-water (lmax 21, dt 600 s)").
    var modelName: String { get }
    /// Where the description was read (a checkpoint file, an initial-condition file), for messages.
    var source: String { get }
    /// The channels a rollout carries from step to step, in the order of the state (`ForecastModel.stateChannels`).
    var rolloutChannels: [String] { get }
    /// The channels the model reads from an initial-condition file, in the order it reads them.
    var suppliedChannels: [String] { get }
    /// The channels of one step's output.
    var outputChannels: [String] { get }
    var nlat: Int { get }
    var nlon: Int { get }
    var grid: SphereGrid { get }
    /// Latitudes of the grid in degrees, north → south.
    var latitudes: [Double] { get }
    /// Longitudes of the grid in degrees, from 0° eastwards.
    var longitudes: [Double] { get }
    /// Hours between the valid times of a step's input and output.
    var stepHours: Int { get }
    /// Whether a step needs the valid time of its input (e.g. a cos-zenith forcing).
    var needsValidTime: Bool { get }
    /// Whether the model maps its inputs to other channels than it reads, so that it can be applied once but
    /// not rolled out.
    var runsOneStepOnly: Bool { get }
    /// Whether the ranks of a model group of several ranks can share one member (model parallelism).
    var splitsOverModelGroups: Bool { get }

    /// Each rollout channel's scale, in which noise perturbations give their amplitudes: a network's
    /// normalisation standard deviations, or a physics model's spread of `initialState` over the grid.
    /// - initialState: `[rolloutChannels.count][nlat][nlon]`, physical units
    func channelScales(initialState: [Float]) -> [Float]

    /// The model for `processGrid`'s model group: whole states in and out on every rank of the group (a
    /// model-parallel network steps its slab and joins the group's slabs). Reads the weights, if any, of
    /// this rank's share.
    func makeModel(processGrid: ProcessGrid) throws -> any ForecastModel
}

/// What holds for a model that reads and writes its state alone (a physics model) unless it says otherwise.
extension ForecastModelDescription {
    public var suppliedChannels: [String] { rolloutChannels }
    public var outputChannels: [String] { rolloutChannels }
    public var needsValidTime: Bool { false }
    public var runsOneStepOnly: Bool { false }
    /// One rank per member unless the model can share one among a model group's ranks.
    public var splitsOverModelGroups: Bool { false }
}
