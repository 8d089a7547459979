import Foundation
import MPI
import ModelInterface

/// A model-parallel network (`DistributedForecastModel`) seen by the runner as a model on whole states:
/// every rank of the model group holds each of the group's members whole, steps its slab with the others,
/// and gets the whole state back (gather to the group's root, broadcast). So everything around the step —
/// perturbations (bred vectors step the model too), non-finite checks, output, statistics, restart — works
/// on whole states exactly as with one rank per member, and only the group's root contributes the members
/// to the collective files.
///
/// Cost per step: one gather and one broadcast of the state over the model group, on top of the network's
/// own exchanges (`ModelCommunication.bytesPerStep`); for HENS's network at (2,1,1) that is 0.3 GB against
/// 12.6 GB.
public final class ModelGroupForecastModel: ForecastModel, @unchecked Sendable {
    public let inner: any DistributedForecastModel
    public var stateChannels: [String] { inner.stateChannels }
    public var nlat: Int { inner.nlat }
    public var nlon: Int { inner.nlon }
    public var stepHours: Int { inner.stepHours }
    /// Bytes of weights this rank holds.
    public var weightBytes: Int { inner.weightBytes }

    public init(_ inner: any DistributedForecastModel) {
        self.inner = inner
    }

    /// Collective over the model group. - state: the whole normalised state, the same on every rank of it
    public func stepNormalised(_ state: inout [Float], validTime: Date) throws {
        let channels = stateChannels.count
        var slab = inner.decomposition.slab(of: state, channels: channels)
        try inner.stepNormalised(&slab, validTime: validTime)
        state = try wholeState(slab, channels: channels)
    }

    public func step(_ state: inout [Float], validTime: Date) throws {
        normalise(&state)
        try stepNormalised(&state, validTime: validTime)
        denormalise(&state)
    }

    public func normalise(_ state: inout [Float]) { inner.normalise(&state) }
    public func denormalise(_ state: inout [Float]) { inner.denormalise(&state) }

    /// The slabs of the model group joined into the whole state on every rank of it.
    private func wholeState(_ slab: [Float], channels: Int) throws -> [Float] {
        let decomposition = inner.decomposition
        let model = decomposition.grid.model
        var whole = try decomposition.gather(slab, channels: channels)
            ?? [Float](repeating: 0, count: channels * nlat * nlon)
        try model.broadcast(&whole)
        return whole
    }
}
