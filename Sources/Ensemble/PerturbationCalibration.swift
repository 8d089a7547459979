import Foundation
import MPI

/// `myriad calibrate`: the perturbation amplitude at which the ensemble's spread matches its error, as HENS
/// tuned its bred vectors (Part I) — found by running the configuration itself on calibration initial times
/// that are not the verified ones (the `calibration` section).
///
/// Each trial runs the ensemble with amplitude `a` (bred vectors: the factor of `target_rmse`; noise kinds: σ)
/// and takes `s(a)`, the mean over the chosen variables and leads of the spread–skill ratio (Fortin's, the one
/// `scores.csv` calls `spread_skill`), aggregated over the calibration times. Spread grows with the amplitude,
/// so the search first brackets `s = 1` (doubling or halving `a`), then closes in by regula falsi on
/// (log a, log s), until `|s − 1| ≤ tolerance` or `max_runs` runs. Seeds are fixed, so every trial differs
/// only in the amplitude and the result is the same at any rank count (the ranks decide on the scores rank 0
/// read and broadcast).
public struct PerturbationCalibration {
    /// One run of the search.
    public struct Trial: Sendable {
        public let amplitude: Double
        public let variables: [String]
        public let leadHours: [Int]
        /// Spread–skill per (variable, lead), `[variables][leadHours]`.
        public let ratios: [Double]
        public let mean: Double
    }

    public let configuration: RunConfiguration
    public let settings: RunConfiguration.CalibrationSettings
    let world: Communicator
    let workDirectory: String
    let log: (String) -> Void

    /// - workDirectory: where the trials write their scores (each trial's files are removed after it)
    public init(configuration: RunConfiguration, world: Communicator, workDirectory: String, log: @escaping (String) -> Void) throws {
        guard let settings = configuration.calibration else {
            throw RunError("\(configuration.file): no calibration section; add calibration: {times: [...]} with initial times that are not the verified ones (docs/perturbations.md)")
        }
        guard configuration.perturbation.kind != .none else {
            throw RunError("perturbation.kind is none: there is no amplitude to calibrate")
        }
        guard configuration.statistics.enabled, configuration.statistics.truth != nil else {
            throw RunError("calibration needs scores: give statistics.truth (the spread–skill is measured against it)")
        }
        self.configuration = configuration
        self.settings = settings
        self.world = world
        self.workDirectory = workDirectory
        self.log = log
    }

    /// Runs the search; returns the calibrated amplitude and every trial, in the order run.
    public func run() throws -> (amplitude: Double, trials: [Trial]) {
        var trials: [Trial] = []
        func measure(_ amplitude: Double) throws -> Trial {
            let trial = try self.trial(amplitude: amplitude, index: trials.count)
            trials.append(trial)
            log(String(format: "calibrate: run %d/%d, amplitude %.4g: mean spread–skill %.3f", trials.count, settings.maxRuns,
                       amplitude, trial.mean))
            return trial
        }
        var current = try measure(configuration.perturbation.effectiveAmplitude)
        if abs(current.mean - 1) <= settings.tolerance { return (current.amplitude, trials) }
        // Bracket s = 1.
        var low: Trial?, high: Trial?
        if current.mean < 1 { low = current } else { high = current }
        while (low == nil || high == nil) && trials.count < settings.maxRuns {
            let next = try measure(current.mean < 1 ? current.amplitude * 2 : current.amplitude / 2)
            if abs(next.mean - 1) <= settings.tolerance { return (next.amplitude, trials) }
            if next.mean < 1 { low = next } else { high = next }
            current = next
        }
        // Regula falsi on (log a, log s) between the brackets.
        while let l = low, let h = high, trials.count < settings.maxRuns {
            let (x0, y0) = (Foundation.log(l.amplitude), Foundation.log(l.mean)), (x1, y1) = (Foundation.log(h.amplitude), Foundation.log(h.mean))
            let x = y1 != y0 ? x0 - y0 * (x1 - x0) / (y1 - y0) : (x0 + x1) / 2
            let next = try measure(exp(min(max(x, min(x0, x1)), max(x0, x1))))
            if abs(next.mean - 1) <= settings.tolerance { return (next.amplitude, trials) }
            if next.mean < 1 { low = next } else { high = next }
        }
        let best = trials.min { abs($0.mean - 1) < abs($1.mean - 1) }!
        log(String(format: "calibrate: no run within %.3g of 1 after %d runs; the closest, amplitude %.4g (%.3f), is kept",
                   settings.tolerance, trials.count, best.amplitude, best.mean))
        return (best.amplitude, trials)
    }

    /// One ensemble run at `amplitude` on the calibration times; its spread–skill table.
    func trial(amplitude: Double, index: Int) throws -> Trial {
        var c = configuration
        c.perturbation.amplitude = amplitude
        c.initialConditions.times = settings.times
        c.initialConditions.indices = []
        c.output.members = false
        if !settings.leadHours.isEmpty { c.output.leadHours = settings.leadHours }
        c.output.directory = "\(workDirectory)/trial-\(index)"
        c.restartEvery = 0
        let plan = try EnsemblePlan(configuration: c, groupCount: world.size / c.layout.size)
        let names = settings.variables.isEmpty ? plan.outputVariables.map { plan.outputChannels[$0] } : settings.variables
        let leads = settings.leadHours.isEmpty ? plan.outputSteps.filter { $0 > 0 }.map { $0 * plan.stepHours } : settings.leadHours
        let runner = EnsembleRunner(plan: plan, world: world, directory: c.output.directory, resume: false, overwrite: true,
                                    log: { _ in }, warn: log)
        guard case .finished(let summary) = try runner.run(), let csv = summary.scoresCSV else {
            throw RunError("calibrate: stopped by a signal during run \(index + 1); start it again")
        }
        var ratios = [Double](repeating: .nan, count: names.count * leads.count)
        if world.isRoot {
            let text = (try? String(contentsOfFile: csv, encoding: .utf8)) ?? ""
            for row in text.split(separator: "\n").dropFirst() {
                let f = row.split(separator: ",").map(String.init)
                guard f.count == 4, f[2] == "spread_skill", let v = names.firstIndex(of: f[0]),
                      let hours = Double(f[1]), let l = leads.firstIndex(of: Int(hours.rounded())), let value = Double(f[3]) else { continue }
                ratios[v * leads.count + l] = value
            }
            // Only what the trial wrote: a user's file in that directory stays, and so does the directory then.
            let trial = RunDirectory(path: c.output.directory)
            for name in trial.runFiles() { try? FileManager.default.removeItem(atPath: "\(c.output.directory)/\(name)") }
            rmdir(c.output.directory)
        }
        if world.size > 1 { try world.broadcast(&ratios) }
        guard ratios.allSatisfy(\.isFinite) else {
            throw RunError("calibrate: the scores of run \(index + 1) lack a finite spread–skill for some of \(names) at leads \(leads) h; check calibration.variables and calibration.lead_hours against the output and the truth")
        }
        return Trial(amplitude: amplitude, variables: names, leadHours: leads, ratios: ratios, mean: ratios.reduce(0, +) / Double(ratios.count))
    }
}
