import Foundation
import ModelInterface

/// `perturbation.kind: bred-vector`: HENS's hemispheric centred bred vectors (`HemisphericCentredBredVector`),
/// bred with the member's own checkpoint; the breeding control runs once per checkpoint and initial time.
/// The configuration pairs them (`centred_pairs` defaults to on), so draw `key` is a pair's. Draws are bred
/// `batch` at a time: a draw and the next ones of its checkpoint step through one model call per cycle, so
/// that a network runs them as one batch (each draw's `dx` its own breeding's bit for bit).
final class BredVectorPerturbation: PerturbationMethod {
    let plan: EnsemblePlan
    let source: InitialConditionSource
    let bred: HemisphericCentredBredVector
    /// Draws bred together (the runner's members per forward).
    let batch: Int
    /// The breeding control of the last (initial time, checkpoint).
    private var control: (key: [Int], value: HemisphericCentredBredVector.Control)?
    /// The last batch's `dx` by draw, for one (initial time, checkpoint).
    private var bredBatch: (key: [Int], dx: [Int: [Float]])?

    init(plan: EnsemblePlan, source: InitialConditionSource, settings p: RunConfiguration.Perturbation,
         batch: Int = 1) throws {
        self.plan = plan
        self.source = source
        self.batch = max(batch, 1)
        bred = try HemisphericCentredBredVector(
            channels: plan.stateChannels, latitudes: plan.latitudes, nlon: plan.nlon,
            rmse48h: plan.stateChannels.map { p.targetRMSE[$0] ?? 0 }, amplitude: p.effectiveAmplitude,
            seededChannels: p.seededVariables, cycles: p.integrationSteps, stepHours: Double(plan.stepHours),
            lengthScale: p.lengthScaleKm * 1000, timeScale: p.timeScaleHours,
            nonNegativeChannels: p.nonNegative ?? HemisphericCentredBredVector.hensNonNegativeChannels)
    }

    func perturbation(key: Int, of member: Member, x0: [Float], model: any ForecastModel) throws -> [Float]? {
        let controlKey = [member.time, member.checkpoint]
        let current: HemisphericCentredBredVector.Control
        if let control, control.key == controlKey {
            current = control.value
        } else {
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
            current = try bred.control(analyses: analyses, validTime: start) { try model.step(&$0, validTime: $1) }
            control = (controlKey, current)
        }
        if bredBatch?.key != controlKey || bredBatch?.dx[key] == nil {
            // This draw and the next ones of the checkpoint, up to the batch: bred together.
            let lastEnsemble = (member.checkpoint + 1) * plan.configuration.membersPerCheckpoint - 1
            let lastKey = plan.configuration.perturbation.effectiveCentredPairs ? lastEnsemble / 2 : lastEnsemble
            let keys = Array(key...max(key, min(lastKey, key + batch - 1)))
            let dx = try bred.breed(control: current, seed: plan.configuration.seed, pairs: keys, initialTimeIndex: member.time) {
                try model.step(members: &$0, count: $1, validTimes: Array(repeating: $2, count: $1))
            }
            bredBatch = (controlKey, Dictionary(uniqueKeysWithValues: zip(keys, dx)))
        }
        return bredBatch!.dx[key]!
    }
}
