import Foundation
import MPI
import ModelInterface

/// A network split over a model group (`SFNONetwork` with a `decomposition`) seen by the runner as a model on whole states:
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
    public let inner: any SFNONetwork
    public let decomposition: ModelDecomposition
    public var stateChannels: [String] { inner.stateChannels }
    public var nlat: Int { inner.nlat }
    public var nlon: Int { inner.nlon }
    public var stepHours: Int { inner.stepHours }
    /// Bytes of weights this rank holds.
    public var weightBytes: Int { inner.weightBytes }

    /// - inner: a network split over a model group (its `decomposition` set)
    public init(_ inner: any SFNONetwork) {
        guard let decomposition = inner.decomposition else { preconditionFailure("ModelGroupForecastModel: the network is not split") }
        self.inner = inner
        self.decomposition = decomposition
    }

    /// Collective over the model group. - state: the whole normalised state, the same on every rank of it
    public func stepNormalised(_ state: inout [Float], validTime: Date) throws {
        try stepNormalised(members: &state, count: 1, validTimes: [validTime])
    }

    /// The members' slabs through the network together; `[count][state]` reads as `count × state` channels
    /// to the slab and gather (one gather and one broadcast for the batch). Collective over the model group.
    /// - states: `[count][state][nlat][nlon]`, whole normalised states, the same on every rank of the group
    public func stepNormalised(members states: inout [Float], count: Int, validTimes: [Date]) throws {
        let channels = count * stateChannels.count
        var slab = decomposition.slab(of: states, channels: channels)
        try inner.stepNormalised(members: &slab, count: count, validTimes: validTimes)
        states = try wholeState(slab, channels: channels)
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
        let model = decomposition.grid.model
        var whole = try decomposition.gather(slab, channels: channels)
            ?? [Float](repeating: 0, count: channels * nlat * nlon)
        try model.broadcast(&whole)
        return whole
    }
}
