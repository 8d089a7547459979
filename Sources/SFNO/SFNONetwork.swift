import Foundation
import Kernels
import MPI
import ModelInterface

/// What both SFNO networks (`MakaniSFNO`, `TorchHarmonicsSFNO`) offer beyond `ForecastModel`: each is one
/// class that runs serial (no grid) or split over a model group (`ProcessGrid.model`, layout h × w ×
/// channel). Split, `step`, `stepNormalised`, `normalise`, `denormalise` and `forward` take and return this
/// rank's slab of each state, `[channels][decomposition.latitudes][decomposition.longitudes]`, and are
/// collective over the model group (every rank of it calls them for the same members, in the same order);
/// `decomposition.scatter` / `gather` move a whole state between the group's root and the slabs.
public protocol SFNONetwork: ForecastModel {
    /// The checkpoint's description (no weights).
    var checkpoint: Checkpoint { get }
    /// This rank's slab of the model grid and the state movers (nil: serial, the whole grid).
    var decomposition: ModelDecomposition? { get }
    /// Bytes of weights this rank read from the checkpoint and holds.
    var weightBytes: Int { get }
    /// The network applied once to `count` members: `[count][inChannels][slab]` → `[count][outChannels][slab]`.
    func forward(members input: [Float], count: Int, observe: ((String, UnsafeBufferPointer<Float>) -> Void)?) throws -> [Float]
}

extension SFNONetwork {
    /// Whether this rank's numbers are the serial network's bit for bit (at any thread counts, `RankThreads`):
    /// serial, on one rank, and on an h-only split whose parts start at multiples of the pointwise layers'
    /// tile rows (`Workspace.tileRows`; e.g. h = 2 or 4 on the demo's grids, any h at 0.25°). Other splits cut
    /// rows or sums into other pieces and differ by float32 round-off (about 5e-7 relative per step).
    public var reproducesSerial: Bool {
        decomposition.map { Workspace.tilesAlign(checkpoint, layout: $0.grid.layout) } ?? true
    }

    /// Grid points of this rank's slab of the model grid.
    public var slabPoints: Int { decomposition?.points ?? nlat * nlon }

    public func stepNormalised(_ state: inout [Float], validTime: Date) throws {
        try stepNormalised(members: &state, count: 1, validTimes: [validTime])
    }

    public func step(_ state: inout [Float], validTime: Date) throws {
        guard state.count == checkpoint.rolloutChannelNames.count * slabPoints else {
            throw SFNOError(file: checkpoint.path,
                            "state holds \(state.count) values, expected \(checkpoint.rolloutChannelNames.count) × \(slabPoints)\(decomposition == nil ? "" : " (this rank's slab)")")
        }
        normalise(&state)
        try stepNormalised(&state, validTime: validTime)
        denormalise(&state)
    }
}
