import Foundation
import Sphere

/// An imperfect analysis of the built-in world, as observing-system simulation experiments make one: the
/// analysis at time t is the true state read from the file plus an error field `e_c(t)` per channel,
///
///     e_c = r_c · ξ_c / rms(ξ_c),
///
/// ξ_c the correlated spherical field of HENS's seed noise (`SphericalNoise`, length scale L: errors of
/// analyses are spatially correlated over a few hundred km), scaled so that its area-weighted RMS is exactly
/// the configured `r_c` (docs/perturbations.md: the demo's is half its networks' day-1 forecast error).
///
/// The error depends only on (run seed, valid time, channel), never on the member, rank or order of reads:
/// every member of an initial time starts from the same analysis, and the breeding cycles before it run
/// from the analyses of their own times. Verification is always against the true states.
struct AnalysisError {
    let noise: SphericalNoise
    /// RMS per channel name, physical units (absent: the channel is analysed perfectly).
    let rmse: [String: Double]
    /// The index of each state channel: its random stream, whichever channels a read asks for.
    let channelIndex: [String: Int]
    let seed: UInt64
    /// Area weight of each latitude row, summing to 1 over the grid's points.
    let rowWeights: [Double]
    let nlon: Int

    init(settings: RunConfiguration.AnalysisErrorSettings, plan: EnsemblePlan) throws {
        noise = try SphericalNoise(grid: plan.grid, nlat: plan.nlat, nlon: plan.nlon, lengthScale: settings.lengthScaleKm * 1000)
        rmse = settings.rmse
        channelIndex = Dictionary(uniqueKeysWithValues: plan.stateChannels.enumerated().map { ($1, $0) })
        seed = plan.configuration.seed
        let weights = Quadrature(grid: plan.grid, nlat: plan.nlat).weights
        let total = weights.reduce(0, +) * Double(plan.nlon)
        rowWeights = weights.map { $0 / total }
        nlon = plan.nlon
    }

    /// Adds the analysis error of `time` to `state` (`[channel][lat][lon]` of `channels`, physical units).
    func add(to state: inout [Float], channels: [String], validTime time: Date) {
        let points = rowWeights.count * nlon
        let hours = Int((time.timeIntervalSince1970 / 3600).rounded(.down))
        for (k, name) in channels.enumerated() {
            guard let r = rmse[name], r > 0, let c = channelIndex[name] else { continue }
            let stream = RandomStream.stream(member: hours & (RandomStream.memberLimit - 1), initialTime: 0, purpose: .analysisError, channel: c)
            let xi = noise.field(seed: seed, stream: stream)
            var meanSquare = 0.0
            for i in 0..<points { meanSquare += rowWeights[i / nlon] * Double(xi[i]) * Double(xi[i]) }
            let scale = Float(r / meanSquare.squareRoot())
            for i in 0..<points { state[k * points + i] += scale * xi[i] }
        }
    }
}
