import Foundation
import Kernels
import MPI

/// A network that advances a forecast state by one step, in physical units.
///
/// The state is `[channel][lat][lon]` float32 on the model grid (latitudes north → south), channels
/// `stateChannels` in that order. An ensemble runner keeps one model per rank and calls `step` for each
/// member; `step` holds no per-member state between calls.
public protocol ForecastModel: AnyObject, Sendable {
    /// Names of the prognostic channels, in the order of the state.
    var stateChannels: [String] { get }
    var nlat: Int { get }
    var nlon: Int { get }
    /// Hours between the valid times of input and output (0: not known).
    var stepHours: Int { get }

    /// Replaces `state`, valid at `validTime`, with the forecast one step later.
    /// - state: `[stateChannels.count][nlat][nlon]`, physical units
    func step(_ state: inout [Float], validTime: Date) throws

    /// The state in the units the network works in (z-scored where the checkpoint says so), in place.
    func normalise(_ state: inout [Float])
    /// Back to physical units, in place.
    func denormalise(_ state: inout [Float])
    /// `step` on a normalised state. A rollout normalises once and carries the normalised state from step
    /// to step, as makani and earth2mip do: renormalising a float32 state every step (a 10 km height with a
    /// 50 m signal) adds rounding of about 1e-5 of a standard deviation per step.
    func stepNormalised(_ state: inout [Float], validTime: Date) throws
}

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
