import Foundation

/// A model that advances a forecast state by one step: what a runner steps, whatever the model family
/// (an SFNO network from a checkpoint, the shallow-water solver).
///
/// The state is `[channel][lat][lon]` float32 on the model grid (latitudes north → south), channels
/// `stateChannels` in that order. An ensemble runner keeps one model per rank and steps its members in
/// batches (`stepNormalised(members:count:validTimes:)`); a step holds no per-member state between calls.
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

    /// The state in the units the model works in (z-scored where a checkpoint says so), in place.
    func normalise(_ state: inout [Float])
    /// Back to physical units, in place.
    func denormalise(_ state: inout [Float])
    /// `step` on a normalised state. A rollout normalises once and carries the normalised state from step
    /// to step, as makani and earth2mip do: renormalising a float32 state every step (a 10 km height with a
    /// 50 m signal) adds rounding of about 1e-5 of a standard deviation per step.
    func stepNormalised(_ state: inout [Float], validTime: Date) throws
    /// `stepNormalised` of `count` members together: `[count][state][lat][lon]`, member k valid at
    /// `validTimes[k]`. Each member's numbers must be its own `stepNormalised`'s bit for bit, whatever the
    /// batch (a network batches them through its layers; the default steps one after another).
    func stepNormalised(members states: inout [Float], count: Int, validTimes: [Date]) throws
}

extension ForecastModel {
    public func stepNormalised(members states: inout [Float], count: Int, validTimes: [Date]) throws {
        precondition(count >= 1 && validTimes.count == count && states.count % count == 0,
                     "ForecastModel.stepNormalised: \(states.count) values for \(count) members and \(validTimes.count) valid times")
        let size = states.count / count
        for k in 0..<count {
            var state = Array(states[(k * size)..<((k + 1) * size)])
            try stepNormalised(&state, validTime: validTimes[k])
            states.replaceSubrange((k * size)..<((k + 1) * size), with: state)
        }
    }
}
