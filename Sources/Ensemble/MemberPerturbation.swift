import Foundation
import SFNO
import Sphere

/// A member's initial state: the state read at its initial time, perturbed as the configuration says
/// (docs/perturbations.md), clipped where channels must stay non-negative, then normalised for the network.
///
/// Every random draw is keyed by (seed, pair or member, initial time, purpose, channel), never by rank or
/// order of work, so a member's state is the same on any rank and in any layout, and `--members` rebuilds
/// it alone. Centred pairs share the key of their pair: members `2p` and `2p + 1` are `x0 ± dx_p`.
///
/// - `gaussian`: `dx_c = a · σ_c · ξ` with ξ white N(0, 1) per grid point, `σ_c` the checkpoint's
///   normalisation standard deviation of channel c (so `a` is in units of the channel's spread);
/// - `spherical-gaussian`: the same with ξ the correlated spherical field of HENS's seed (length and time
///   scale from the configuration), drawn per channel;
/// - `bred-vector`: HENS's hemispheric centred bred vectors, bred with the member's own checkpoint
///   (`HemisphericCentredBredVector`), the breeding control run once per checkpoint and initial time.
final class MemberPerturbation {
    let plan: EnsemblePlan
    let source: InitialConditionSource
    private var bredVector: HemisphericCentredBredVector?
    private var spherical: SphericalNoise?
    /// The breeding control of the last (checkpoint, time), and the last pair's dx.
    private var control: (key: [Int], value: HemisphericCentredBredVector.Control)?
    private var lastPair: (key: [Int], dx: [Float])?
    /// Pairs bred together, one model call per cycle for all of them (the runner's members per forward), and
    /// the last batch's dx by pair, for one (time, checkpoint).
    var breedingBatch = 1
    private var bredBatch: (key: [Int], dx: [Int: [Float]])?

    init(plan: EnsemblePlan, source: InitialConditionSource) throws {
        self.plan = plan
        self.source = source
        let p = plan.configuration.perturbation
        let nonNegative = p.nonNegative ?? HemisphericCentredBredVector.hensNonNegativeChannels
        switch p.kind {
        case .bredVector:
            bredVector = try HemisphericCentredBredVector(
                channels: plan.stateChannels, latitudes: plan.latitudes, nlon: plan.nlon,
                rmse48h: plan.stateChannels.map { p.targetRMSE[$0] ?? 0 }, amplitude: p.effectiveAmplitude,
                seededChannels: p.seededVariables, cycles: p.integrationSteps, stepHours: Double(plan.stepHours),
                lengthScale: p.lengthScaleKm * 1000, timeScale: p.timeScaleHours, nonNegativeChannels: nonNegative)
        case .sphericalGaussian:
            spherical = try SphericalNoise(grid: plan.grid, nlat: plan.nlat, nlon: plan.nlon, lengthScale: p.lengthScaleKm * 1000,
                                           timeScale: p.timeScaleHours, stepHours: Double(plan.stepHours))
        case .gaussian, .none:
            break
        }
        nonNegativeChannels = NonNegativeChannels(patterns: nonNegative, channels: plan.stateChannels)
    }

    private let nonNegativeChannels: NonNegativeChannels

    /// Whether `member` is HENS's unperturbed control (member 0 of checkpoint 0, when configured).
    func isControl(_ member: Member) -> Bool {
        plan.configuration.control && member.checkpoint == 0 && member.perturbation == 0
    }

    /// - x0: physical units, `[channel][lat][lon]`; returns the normalised perturbed state.
    func normalisedInitialState(_ member: Member, x0: [Float], model: any ForecastModel) throws -> [Float] {
        var x = x0
        let p = plan.configuration.perturbation
        if p.kind != .none && !isControl(member) {
            let pairs = p.effectiveCentredPairs
            let key = pairs ? member.ensemble / 2 : member.ensemble
            let sign: Float = pairs ? CentredPair(member: member.perturbation).sign : 1
            let dx = try perturbation(member, key: key, x0: x0, model: model)
            for i in x.indices { x[i] += sign * dx[i] }
            nonNegativeChannels.clip(&x, points: plan.pointCount)
        }
        model.normalise(&x)
        return x
    }

    /// The perturbation `dx` (physical units) of key `key` (a pair or a member) at the member's initial time.
    private func perturbation(_ member: Member, key: Int, x0: [Float], model: any ForecastModel) throws -> [Float] {
        let cacheKey = [member.time, member.checkpoint, key]
        if let lastPair, lastPair.key == cacheKey { return lastPair.dx }
        let p = plan.configuration.perturbation
        let seed = plan.configuration.seed
        let size = plan.pointCount
        var dx = [Float](repeating: 0, count: plan.stateChannels.count * size)
        switch p.kind {
        case .bredVector:
            let bred = bredVector!
            let controlKey = [member.time, member.checkpoint]
            if control?.key != controlKey {
                let t0 = plan.initialTimes[member.time]
                let start = t0.addingTimeInterval(-Double(bred.cycles * plan.stepHours * 3600))
                let read = { (i: Int) in
                    try self.source.read(time: start.addingTimeInterval(Double(i * self.plan.stepHours * 3600)),
                                         channels: self.plan.stateChannels, nlat: self.plan.nlat, nlon: self.plan.nlon)
                }
                // The first analysis is required (the plan checked it); later ones are used where present,
                // else the control runs on with the model.
                var analyses = [try read(0)]
                for i in 1..<bred.cycles {
                    guard let state = try? read(i) else { break }
                    analyses.append(state)
                }
                control = (controlKey, try bred.control(analyses: analyses, validTime: start) { try model.step(&$0, validTime: $1) })
            }
            if bredBatch?.key != controlKey || bredBatch?.dx[key] == nil {
                // This pair and the next ones of the checkpoint, up to the batch: bred together.
                let lastEnsemble = (member.checkpoint + 1) * plan.configuration.membersPerCheckpoint - 1
                let lastKey = p.effectiveCentredPairs ? lastEnsemble / 2 : lastEnsemble
                let pairs = Array(key...max(key, min(lastKey, key + breedingBatch - 1)))
                let bred = try bred.breed(control: control!.value, seed: seed, pairs: pairs, initialTimeIndex: member.time) {
                    try model.step(members: &$0, count: $1, validTimes: Array(repeating: $2, count: $1))
                }
                bredBatch = (controlKey, Dictionary(uniqueKeysWithValues: zip(pairs, bred)))
            }
            dx = bredBatch!.dx[key]!
        case .gaussian, .sphericalGaussian:
            let stds = plan.model.channelScales(model: member.checkpoint, state: x0)
            let a = Float(p.effectiveAmplitude)
            for c in plan.stateChannels.indices {
                let stream = RandomStream.stream(member: key, initialTime: member.time, purpose: .gaussianNoise, channel: c)
                let field = p.kind == .gaussian
                    ? SphericalNoise.gaussian(count: size, seed: seed, stream: stream)
                    : spherical!.field(seed: seed, stream: stream)
                let scale = a * stds[c]
                for i in 0..<size { dx[c * size + i] = scale * field[i] }
            }
        case .none:
            break
        }
        lastPair = (cacheKey, dx)
        return dx
    }
}
