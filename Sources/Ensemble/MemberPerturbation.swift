import Foundation
import SFNO

/// A member's initial state: the state read at its initial time, perturbed as the configuration says
/// (REFERENCE.md §3), then normalised for the network. Every random draw is keyed by (seed, member or pair
/// id, purpose), so a member's state is the same on any rank and in any layout.
struct MemberPerturbation {
    let plan: EnsemblePlan
    let source: InitialConditionSource

    /// - x0: physical units, `[channel][lat][lon]`
    func normalisedInitialState(_ member: Member, x0: [Float], model: any ForecastModel) throws -> [Float] {
        var x = x0
        let p = plan.configuration.perturbation
        let isControl = plan.configuration.control && member.checkpoint == 0 && member.perturbation == 0
        if p.kind != .none && !isControl {
            throw RunError("perturbation.kind: \(p.kind.rawValue) is not available yet")
        }
        model.normalise(&x)
        return x
    }
}
