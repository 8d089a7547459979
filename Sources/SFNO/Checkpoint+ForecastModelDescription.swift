import MPI
import ModelInterface
import Sphere

/// A checkpoint read without its weights describes its network to the runner and the CLI; its
/// `gemmPrecision` is the precision of the network `makeModel` loads.
extension Checkpoint: ForecastModelDescription {
    public var modelName: String { architecture.rawValue }
    public var source: String { path }
    public var rolloutChannels: [String] { rolloutChannelNames }
    public var suppliedChannels: [String] { suppliedChannelNames }
    public var outputChannels: [String] { outputChannelNames }
    public var stepHours: Int { dhours }
    /// makani networks read the cos zenith angle of the input's valid time.
    public var needsValidTime: Bool { addZenith }
    public var splitsOverModelGroups: Bool { true }

    /// The normalisation standard deviations (1 where the checkpoint has none).
    public func channelScales(initialState: [Float]) -> [Float] {
        stds ?? rolloutChannels.map { _ in 1 }
    }

    /// The serial network on a one-rank model group; else the model-parallel one, each rank reading its shard
    /// of the weights, seen as a model on whole states (`ModelGroupForecastModel`).
    public func makeModel(processGrid: ProcessGrid) throws -> any ForecastModel {
        let network = try loadSFNONetwork(checkpoint: path, grid: processGrid.model.size > 1 ? processGrid : nil,
                                          precision: gemmPrecision)
        return network.decomposition == nil ? network : ModelGroupForecastModel(network)
    }
}
