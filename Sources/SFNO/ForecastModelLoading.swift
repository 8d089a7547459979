import Foundation
import Kernels
import MPI
import ModelInterface

/// Loads the model a checkpoint file describes (its `architecture` attribute chooses the network), its 1×1
/// convolutions in `precision`.
public func loadForecastModel(checkpoint path: String, precision: GEMMPrecision = .fp32) throws -> any ForecastModel {
    var checkpoint = try Checkpoint(path: path)
    checkpoint.gemmPrecision = precision
    switch checkpoint.architecture {
    case .makani: return try MakaniSFNO(checkpoint)
    case .torchHarmonics: return try TorchHarmonicsSFNO(checkpoint)
    }
}

/// A `ForecastModel` split over the ranks of a model group (`ProcessGrid.model`, layout h × w × channel):
/// `step`, `stepNormalised`, `normalise` and `denormalise` take and return this rank's slab of the state,
/// `[stateChannels.count][decomposition.latitudes][decomposition.longitudes]`, and are collective over the
/// model group (every rank of the group calls them for the same member, in the same order).
/// `decomposition.scatter` / `gather` move a whole state between the group's root and the slabs.
public protocol DistributedForecastModel: ForecastModel {
    /// The checkpoint's description (no weights).
    var checkpoint: Checkpoint { get }
    /// This rank's slab of the model grid and the state movers.
    var decomposition: ModelDecomposition { get }
    /// Bytes of weights this rank read from the checkpoint and holds.
    var weightBytes: Int { get }
}

extension DistributedForecastModel {
    /// Whether this rank's numbers are the serial network's bit for bit (at any thread counts, `RankThreads`):
    /// on one rank, and on an h-only split whose parts start at multiples of the pointwise layers' tile
    /// rows (`Workspace.tileRows`; e.g. h = 2 or 4 on the demo's grids, any h at 0.25°). Other splits cut
    /// rows or sums into other pieces and differ by float32 round-off (about 5e-7 relative per step).
    public var reproducesSerial: Bool { Workspace.tilesAlign(checkpoint, layout: decomposition.grid.layout) }
}

extension DistributedTorchHarmonicsSFNO: DistributedForecastModel {}
extension DistributedMakaniSFNO: DistributedForecastModel {}

/// The model-parallel network of a checkpoint on `grid` (a one-rank model group runs the serial layers).
/// Every rank reads only its shard of the weights. Not collective.
public func loadDistributedForecastModel(checkpoint path: String, grid: ProcessGrid,
                                         precision: GEMMPrecision = .fp32) throws -> any DistributedForecastModel {
    switch try Checkpoint(path: path, weights: false).architecture {
    case .makani: return try DistributedMakaniSFNO(checkpoint: path, grid: grid, precision: precision)
    case .torchHarmonics: return try DistributedTorchHarmonicsSFNO(checkpoint: path, grid: grid, precision: precision)
    }
}

/// The serial model (`loadForecastModel(checkpoint:)`) when the model group has one rank, else the
/// model-parallel one (`DistributedForecastModel`, whose methods work on the rank's slab).
public func loadForecastModel(checkpoint path: String, grid: ProcessGrid, precision: GEMMPrecision = .fp32) throws -> any ForecastModel {
    grid.model.size == 1 ? try loadForecastModel(checkpoint: path, precision: precision)
        : try loadDistributedForecastModel(checkpoint: path, grid: grid, precision: precision)
}
