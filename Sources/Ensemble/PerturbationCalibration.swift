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
///
/// With `per_variable` (bred vectors), the search then balances the variables: one amplitude keeps the ratio
/// between the channels' perturbations that `target_rmse` sets, and that ratio is rarely the one at which every
/// variable's spread matches its own error. Each round multiplies `target_rmse[v]` of every verified variable by
/// `s_v^(−1/p_v)`, where `s_v` is v's mean spread–skill and `p_v` the slope of log s_v against log target_v (from
/// the last two rounds; at first the slope of log s against log a that the amplitude search measured: spread
/// grows about like `a^p`); once a round makes the worst variable worse, Newton steps on the whole response
/// matrix take over (`balanceVariables`), until every `|s_v − 1| ≤ tolerance` or `max_runs` runs in all. The
/// closest run is kept. Channels that are not verified (the demo's vorticity) keep their target.
public struct PerturbationCalibration {
    /// One run of the search.
    public struct Trial: Sendable {
        public let amplitude: Double
        /// `perturbation.target_rmse` of the run.
        public let targets: [String: Double]
        public let variables: [String]
        public let leadHours: [Int]
        /// Spread–skill per (variable, lead), `[variables][leadHours]`.
        public let ratios: [Double]
        public let mean: Double

        /// Mean spread–skill over the leads, per variable.
        public var variableMeans: [Double] {
            variables.indices.map { v in ratios[(v * leadHours.count)..<((v + 1) * leadHours.count)].reduce(0, +) / Double(leadHours.count) }
        }

        /// The largest |s_v − 1| over the variables.
        public var worstVariableError: Double { variableMeans.map { abs($0 - 1) }.max() ?? .infinity }
    }

    /// What the search found.
    public struct Result: Sendable {
        public let amplitude: Double
        /// `target_rmse` as calibrated (unchanged unless `per_variable`).
        public let targets: [String: Double]
        public let trials: [Trial]
        /// The trial run with `amplitude` and `targets`.
        public var chosen: Trial { trials.first { $0.amplitude == amplitude && $0.targets == targets }! }
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
        if settings.perVariable && configuration.perturbation.kind != .bredVector {
            throw RunError("\(configuration.file): calibration.per_variable needs perturbation.kind bred-vector (it scales target_rmse per variable); the noise kinds have one σ")
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

    /// Runs the search; returns the calibrated amplitude (and targets) and every trial, in the order run.
    public func run() throws -> Result {
        var trials: [Trial] = []
        func measure(_ amplitude: Double, _ targets: [String: Double]) throws -> Trial {
            let trial = try self.trial(amplitude: amplitude, targets: targets, index: trials.count)
            trials.append(trial)
            let perVariable = zip(trial.variables, trial.variableMeans).map { "\($0) " + String(format: "%.3f", $1) }.joined(separator: ", ")
            log(String(format: "calibrate: run %d/%d, amplitude %.4g: mean spread–skill %.3f", trials.count, settings.maxRuns,
                       amplitude, trial.mean) + " (\(perVariable))")
            return trial
        }
        let initialTargets = configuration.perturbation.targetRMSE
        let found = try searchAmplitude(targets: initialTargets, measure: measure, trials: { trials })
        var best = found.trial
        let slope = found.slope
        guard settings.perVariable else { return Result(amplitude: best.amplitude, targets: best.targets, trials: trials) }

        // Balance the variables at the amplitude found: per variable a secant step on (log target, log s), its
        // slope from the last two rounds once there are two, the amplitude search's before that. When a round
        // makes the worst variable worse, the coupling between the variables is too strong for steps taken one
        // variable at a time, and Newton steps on the whole response matrix take over (`balanceVariables`).
        var previous: Trial?
        while best.worstVariableError > settings.tolerance && trials.count < settings.maxRuns {
            var targets = best.targets
            for (v, name) in best.variables.enumerated() {
                let s = best.variableMeans[v]
                guard s > 0, let target = targets[name] else { continue }
                var p = slope
                if let previous, let t0 = previous.targets[name], t0 != target, previous.variableMeans[v] > 0 {
                    let secant = Foundation.log(s / previous.variableMeans[v]) / Foundation.log(target / t0)
                    if secant.isFinite { p = min(max(secant, 0.25), 4) }
                }
                targets[name] = Double(String(format: "%.4g", target * pow(s, -1 / p)))!
            }
            let next = try measure(best.amplitude, targets)
            guard next.worstVariableError < best.worstVariableError else {
                best = try balanceVariables(from: best, measure: measure, runsSoFar: { trials.count })
                break
            }
            previous = best
            best = next
        }
        if best.worstVariableError > settings.tolerance {
            log(String(format: "calibrate: the variables' mean spread–skill stays up to %.3f from 1 after %d runs; the closest run is kept",
                       best.worstVariableError, trials.count))
        }
        return Result(amplitude: best.amplitude, targets: best.targets, trials: trials)
    }

    /// Newton steps on `r_v = log s_v` as a function of `log target_w`, at the amplitude found. The variables are
    /// coupled — a perturbation of one channel grows into the others' spread (on the demo networks lowering v's
    /// target lowers height's and u's spread as much as v's) — so a step per variable on its own slope can make
    /// every variable worse. The step solves `J Δ = −r` with the whole response matrix `J`: measured once, by one
    /// run per variable with only its target raised by 25 %, then updated from each step taken (Broyden). A
    /// step that does not reduce the worst |s_v − 1| is halved (at most three times) before the search stops.
    /// Returns the closest run, `start` included.
    private func balanceVariables(from start: Trial, measure: (Double, [String: Double]) throws -> Trial,
                                  runsSoFar: () -> Int) throws -> Trial {
        let names = start.variables.filter { start.targets[$0] != nil }
        let index = names.map { start.variables.firstIndex(of: $0)! }
        let n = names.count
        func residual(_ t: Trial) -> [Double] { index.map { Foundation.log(max(t.variableMeans[$0], 1e-12)) } }
        func rounded(_ x: Double) -> Double { Double(String(format: "%.4g", x))! }
        var base = start, best = start
        func done() -> Bool { best.worstVariableError <= settings.tolerance || runsSoFar() >= settings.maxRuns }
        guard n > 0, !done() else { return best }

        var jacobian = [Double](repeating: 0, count: n * n)   // row v, column w: ∂ log s_v / ∂ log target_w
        let r0 = residual(base)
        for (w, name) in names.enumerated() {
            if done() { return best }
            var targets = base.targets
            targets[name] = rounded(base.targets[name]! * 1.25)
            let probe = try measure(base.amplitude, targets)
            if probe.worstVariableError < best.worstVariableError { best = probe }
            let step = Foundation.log(targets[name]! / base.targets[name]!)
            let r = residual(probe)
            for v in 0..<n { jacobian[v * n + w] = (r[v] - r0[v]) / step }
        }
        while !done() {
            let r = residual(base)
            guard var delta = Self.solve(jacobian, r.map { -$0 }, n: n) else {
                log("calibrate: the variables' responses to their targets are not independent; the per-variable search stops")
                break
            }
            let limit = Foundation.log(4.0)
            delta = delta.map { min(max($0, -limit), limit) }
            var improved = false
            for _ in 0...3 where !done() {
                var targets = base.targets
                for (w, name) in names.enumerated() { targets[name] = rounded(base.targets[name]! * exp(delta[w])) }
                let next = try measure(base.amplitude, targets)
                let taken = names.map { Foundation.log(targets[$0]! / base.targets[$0]!) }
                let rNext = residual(next)
                // Broyden: J += (Δr − J Δ) Δᵀ / (Δᵀ Δ), from every step measured, taken or not.
                let norm = taken.reduce(0) { $0 + $1 * $1 }
                if norm > 0 {
                    for v in 0..<n {
                        let predicted = (0..<n).reduce(0) { $0 + jacobian[v * n + $1] * taken[$1] }
                        let miss = (rNext[v] - r[v]) - predicted
                        for w in 0..<n { jacobian[v * n + w] += miss * taken[w] / norm }
                    }
                }
                if next.worstVariableError < best.worstVariableError { best = next }
                if next.worstVariableError < base.worstVariableError {
                    base = next
                    improved = true
                    break
                }
                delta = delta.map { $0 / 2 }
            }
            if !improved { break }
        }
        return best
    }

    /// `x` with `a x = b` for the n × n row-major `a`, by Gaussian elimination with partial pivoting; nil when
    /// `a` is singular to working precision.
    static func solve(_ a: [Double], _ b: [Double], n: Int) -> [Double]? {
        var m = a, x = b
        let scale = a.map(abs).max() ?? 0
        for col in 0..<n {
            let pivot = (col..<n).max { abs(m[$0 * n + col]) < abs(m[$1 * n + col]) }!
            guard abs(m[pivot * n + col]) > 1e-9 * max(scale, 1e-300) else { return nil }
            if pivot != col {
                for k in 0..<n { m.swapAt(col * n + k, pivot * n + k) }
                x.swapAt(col, pivot)
            }
            for row in (col + 1)..<n {
                let f = m[row * n + col] / m[col * n + col]
                for k in col..<n { m[row * n + k] -= f * m[col * n + k] }
                x[row] -= f * x[col]
            }
        }
        for row in stride(from: n - 1, through: 0, by: -1) {
            let tail = ((row + 1)..<n).reduce(0) { $0 + m[row * n + $1] * x[$1] }
            x[row] = (x[row] - tail) / m[row * n + row]
        }
        return x
    }

    /// The bracketing search for the amplitude with mean spread–skill 1 at `targets`; the trial closest to 1
    /// and the measured slope of log s against log a (1 when fewer than two distinct trials).
    private func searchAmplitude(targets: [String: Double], measure: (Double, [String: Double]) throws -> Trial,
                                 trials: () -> [Trial]) throws -> (trial: Trial, slope: Double) {
        func slope() -> Double {
            let distinct = trials().filter { $0.mean > 0 }
            guard let a = distinct.min(by: { abs($0.mean - 1) < abs($1.mean - 1) }),
                  let b = distinct.filter({ $0.amplitude != a.amplitude }).min(by: { abs($0.mean - 1) < abs($1.mean - 1) }) else { return 1 }
            let p = Foundation.log(b.mean / a.mean) / Foundation.log(b.amplitude / a.amplitude)
            return p.isFinite && p > 0.1 ? p : 1
        }
        func closest() -> Trial { trials().min { abs($0.mean - 1) < abs($1.mean - 1) }! }
        var current = try measure(configuration.perturbation.effectiveAmplitude, targets)
        if abs(current.mean - 1) <= settings.tolerance { return (current, slope()) }
        // Bracket s = 1.
        var low: Trial?, high: Trial?
        if current.mean < 1 { low = current } else { high = current }
        while (low == nil || high == nil) && trials().count < settings.maxRuns {
            let next = try measure(current.mean < 1 ? current.amplitude * 2 : current.amplitude / 2, targets)
            if abs(next.mean - 1) <= settings.tolerance { return (next, slope()) }
            if next.mean < 1 { low = next } else { high = next }
            current = next
        }
        // Regula falsi on (log a, log s) between the brackets.
        while let l = low, let h = high, trials().count < settings.maxRuns {
            let (x0, y0) = (Foundation.log(l.amplitude), Foundation.log(l.mean)), (x1, y1) = (Foundation.log(h.amplitude), Foundation.log(h.mean))
            let x = y1 != y0 ? x0 - y0 * (x1 - x0) / (y1 - y0) : (x0 + x1) / 2
            let next = try measure(exp(min(max(x, min(x0, x1)), max(x0, x1))), targets)
            if abs(next.mean - 1) <= settings.tolerance { return (next, slope()) }
            if next.mean < 1 { low = next } else { high = next }
        }
        let best = closest()
        log(String(format: "calibrate: no run within %.3g of 1 after %d runs; the closest, amplitude %.4g (%.3f), is kept",
                   settings.tolerance, trials().count, best.amplitude, best.mean))
        return (best, slope())
    }

    /// One ensemble run at `amplitude` on the calibration times; its spread–skill table.
    func trial(amplitude: Double, targets: [String: Double], index: Int) throws -> Trial {
        var c = configuration
        c.perturbation.amplitude = amplitude
        c.perturbation.targetRMSE = targets
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
        return Trial(amplitude: amplitude, targets: targets, variables: names, leadHours: leads, ratios: ratios, mean: ratios.reduce(0, +) / Double(ratios.count))
    }
}
