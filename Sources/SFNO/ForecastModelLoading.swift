import Foundation
import Kernels
import MPI
import ModelInterface

/// The network a checkpoint file describes (its `architecture` attribute chooses the class), serial without
/// a grid, else split over `grid`'s model group (every rank reads only its shard of the weights; on a group
/// of one rank every layer takes its serial path), its 1×1 convolutions in `precision`. Not collective.
public func loadSFNONetwork(checkpoint path: String, grid: ProcessGrid? = nil,
                            precision: GEMMPrecision = .fp32) throws -> any SFNONetwork {
    switch try Checkpoint(path: path, weights: false).architecture {
    case .makani: return try MakaniSFNO(checkpoint: path, grid: grid, precision: precision)
    case .torchHarmonics: return try TorchHarmonicsSFNO(checkpoint: path, grid: grid, precision: precision)
    }
}

/// The serial network of a checkpoint (`loadSFNONetwork` without a grid) as a `ForecastModel`.
public func loadForecastModel(checkpoint path: String, precision: GEMMPrecision = .fp32) throws -> any ForecastModel {
    try loadSFNONetwork(checkpoint: path, precision: precision)
}
