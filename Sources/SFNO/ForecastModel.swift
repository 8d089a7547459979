import Foundation

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
}

/// Loads the model a checkpoint file describes (its `architecture` attribute chooses the network).
public func loadForecastModel(checkpoint path: String) throws -> any ForecastModel {
    let checkpoint = try Checkpoint(path: path)
    switch checkpoint.architecture {
    case .makani: return try MakaniSFNO(checkpoint)
    case .torchHarmonics: return try TorchHarmonicsSFNO(checkpoint)
    }
}
