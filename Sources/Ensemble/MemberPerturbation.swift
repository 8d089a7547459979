import Foundation
import ModelInterface
import Sphere

/// A member's initial state: the state read at its initial time, perturbed as the configuration says
/// (docs/perturbations.md), clipped where channels must stay non-negative, then normalised for the network.
///
/// The perturbation itself is the configured `PerturbationMethod` (one type per `perturbation.kind`:
/// `NoPerturbation`, `GaussianPerturbation`, `SphericalGaussianPerturbation`, `BredVectorPerturbation`, in
/// `CentredPairPerturbation`'s ± pairs where configured), built once by `RunConfiguration.Perturbation.makeMethod`.
/// Every random draw is keyed by (seed, pair or member, initial time, purpose, channel), never by rank or
/// order of work, so a member's state is the same on any rank and in any layout, and `--members` rebuilds
/// it alone.
final class MemberPerturbation {
    let plan: EnsemblePlan
    private let method: any PerturbationMethod
    private let nonNegativeChannels: NonNegativeChannels

    /// - breedingBatch: bred-vector pairs bred together, one model call per cycle for all of them (the
    ///   runner's members per forward)
    init(plan: EnsemblePlan, source: InitialConditionSource, breedingBatch: Int = 1) throws {
        self.plan = plan
        let p = plan.configuration.perturbation
        method = try p.makeMethod(plan: plan, source: source, breedingBatch: breedingBatch)
        nonNegativeChannels = NonNegativeChannels(patterns: p.nonNegative ?? HemisphericCentredBredVector.hensNonNegativeChannels,
                                                  channels: plan.stateChannels)
    }

    /// Whether `member` is HENS's unperturbed control (member 0 of checkpoint 0, when configured).
    func isControl(_ member: Member) -> Bool {
        plan.configuration.control && member.checkpoint == 0 && member.perturbation == 0
    }

    /// - x0: physical units, `[channel][lat][lon]`; returns the normalised perturbed state.
    func normalisedInitialState(_ member: Member, x0: [Float], model: any ForecastModel) throws -> [Float] {
        var x = x0
        if !isControl(member), let dx = try method.perturbation(key: member.ensemble, of: member, x0: x0, model: model) {
            for i in x.indices { x[i] += dx[i] }
            nonNegativeChannels.clip(&x, points: plan.pointCount)
        }
        model.normalise(&x)
        return x
    }
}
