import Foundation
import Sphere

/// HENS's hemispheric centred bred vectors (Mahesh et al. 2024, Part I; earth2studio
/// `perturbation/hcbv.py` `HemisphericCentredBredVector` with the seed of `recipes/hens`): a plan for one grid
/// and channel list, made once, then used for every pair.
///
/// With targets `T_c = amplitude × rmse48h_c`, the analyses `x_i` at `t0 − (cycles − i)·Δt` and the model `M`:
///
///     dx ← T_c · s_c            s: correlated spherical noise (`SphericalNoise`) on the seeded channels, 0 elsewhere
///     for i in 0 ..< cycles:
///         dx ← M(x_i + dx) − M(x_i)
///         dx ← hemispheric rescale of dx to T_c          (`HemisphericNorm`)
///     members: x0 + dx, x0 − dx, then the non-negative channels clipped at 0
///
/// The unperturbed `x_i` is re-anchored to the analysis at every cycle, as earth2studio does
/// (`xunp = input_data[ii + 1]`); where the caller has fewer analyses than cycles, the control advances with
/// the model instead (`x_{i+1} = M(x_i)`). Nothing is clipped during breeding (earth2studio's clip there is
/// commented out). The control forecasts `M(x_i)` do not depend on the pair, so `control(…)` runs them once
/// and `breed(control:…)` costs one model step per cycle and pair.
///
/// Randomness: the seed noise of pair `p`, channel `c` is the stream
/// `RandomStream.stream(member: p, initialTime: initialTimeIndex, purpose: .seedNoise, channel: c)` under the run seed, so
/// a pair's `dx` — and so each member — can be regenerated alone. (earth2studio draws the pairs of a batch
/// from one AR(1) sequence of a global torch generator.)
public struct HemisphericCentredBredVector: Sendable {
    /// State channel names, in state order.
    public let channels: [String]
    /// Latitudes in degrees, north → south.
    public let latitudes: [Double]
    public let nlon: Int
    /// HENS: 0.35.
    public let amplitude: Double
    /// The 48 h RMSE of a deterministic forecast per channel, physical units, `[channels]`.
    public let rmse48h: [Double]
    /// `amplitude × rmse48h`, `[channels]`.
    public let targets: [Double]
    /// Channels the seed noise perturbs (HENS: `z500`).
    public let seededChannels: [Int]
    /// Breeding cycles (HENS: 3).
    public let cycles: Int
    /// The model step `Δt` in hours (HENS: 6).
    public let stepHours: Double
    /// Channels clipped at 0 in the members.
    public let nonNegativeChannels: [Int]
    /// The seed noise (grid-point standard deviation σ = 1).
    public let noise: SphericalNoise
    /// The rescaling.
    public let norm: HemisphericNorm

    /// earth2studio's clipped channels (`set_clip_indices`): names starting with `q`, `r` or `tp`, and `tcwv`.
    /// A pattern ending in `*` matches a prefix, any other pattern the whole name.
    public static let hensNonNegativeChannels = ["q*", "r*", "tp*", "tcwv"]

    /// - Parameters:
    ///   - channels: state channel names, `[channels]`
    ///   - latitudes: `[nlat]` degrees, north → south, of an equiangular (both poles) or Legendre–Gauss grid
    ///   - nlon: longitudes
    ///   - rmse48h: `[channels]`, physical units
    ///   - seededChannels: names of the channels the seed perturbs; each must be in `channels`
    ///   - nonNegativeChannels: patterns of channels clipped at 0 (`"q*"`: prefix; `"tcwv"`: exact)
    ///   - lengthScale, timeScale: the seed noise's `L` (m) and `τ` (h)
    ///   - lmax: the seed noise's degrees (exclusive); default: the grid's natural truncation
    ///   - extratropicalRows: rows of each extratropical band; default HENS's `⌊70/180 · nlat⌋`
    public init(channels: [String], latitudes: [Double], nlon: Int, rmse48h: [Double], amplitude: Double = 0.35,
                seededChannels: [String] = ["z500"], cycles: Int = 3, stepHours: Double = 6,
                lengthScale: Double = 5.0e5, timeScale: Double = 48,
                nonNegativeChannels: [String] = HemisphericCentredBredVector.hensNonNegativeChannels,
                lmax: Int? = nil, extratropicalRows: Int? = nil) throws {
        guard rmse48h.count == channels.count else {
            throw PerturbationError("bred vector: \(rmse48h.count) 48 h RMSE values for \(channels.count) channels")
        }
        guard rmse48h.allSatisfy({ $0 >= 0 && $0.isFinite }), amplitude >= 0, amplitude.isFinite else {
            throw PerturbationError("bred vector: the amplitude and the 48 h RMSE must be finite and non-negative")
        }
        guard cycles >= 1 else { throw PerturbationError("bred vector: need at least one cycle, got \(cycles)") }
        guard let grid = SphereGrid.matching(latitudes: latitudes) else {
            throw PerturbationError("bred vector: the \(latitudes.count) latitudes are neither an equiangular grid "
                + "with both poles nor Legendre–Gauss nodes (north → south, degrees)")
        }
        let seeded = try seededChannels.map { name in
            guard let index = channels.firstIndex(of: name) else {
                throw PerturbationError("bred vector: seeded channel '\(name)' is not among the state's channels "
                    + channels.joined(separator: ", "))
            }
            return index
        }
        guard seeded.allSatisfy({ $0 < RandomStream.channelLimit }) else {
            throw PerturbationError("bred vector: seeded channel indices must be below \(RandomStream.channelLimit)")
        }
        self.channels = channels
        self.latitudes = latitudes
        self.nlon = nlon
        self.amplitude = amplitude
        self.rmse48h = rmse48h
        targets = rmse48h.map { amplitude * $0 }
        self.seededChannels = seeded.sorted()
        self.cycles = cycles
        self.stepHours = stepHours
        self.nonNegativeChannels = NonNegativeChannels(patterns: nonNegativeChannels, channels: channels).indices
        noise = try SphericalNoise(grid: grid, nlat: latitudes.count, nlon: nlon, lmax: lmax, lengthScale: lengthScale,
                                   timeScale: timeScale, stepHours: stepHours)
        norm = HemisphericNorm(latitudes: latitudes, extratropicalRows: extratropicalRows)
    }

    public var nlat: Int { latitudes.count }
    /// Values in one state: `channels × nlat × nlon`.
    public var stateCount: Int { channels.count * nlat * nlon }

    // MARK: - Seed

    /// The seed perturbation of pair `pair`: `T_c · s_c` on the seeded channels, 0 elsewhere.
    /// - initialTimeIndex: the key's step slot; give each initial time of a run its own so that their seeds differ
    /// - returns: `[channels][nlat][nlon]`
    public func seedPerturbation(seed: UInt64, pair: Int, initialTimeIndex: Int = 0) -> [Float] {
        var dx = [Float](repeating: 0, count: stateCount)
        let size = nlat * nlon
        for c in seededChannels where targets[c] != 0 {
            let stream = RandomStream.stream(member: pair, initialTime: initialTimeIndex, purpose: .seedNoise,
                                             channel: c)
            let field = noise.field(seed: seed, stream: stream)
            let target = Float(targets[c])
            for i in 0..<size { dx[c * size + i] = target * field[i] }
        }
        return dx
    }

    // MARK: - Breeding

    /// The unperturbed trajectory of the breeding cycles, shared by all pairs.
    public struct Control: Sendable {
        /// `x_i` at the start of each cycle, `[cycles][channels][nlat][nlon]`.
        public let states: [[Float]]
        /// `M(x_i)`, `[cycles][channels][nlat][nlon]`.
        public let forecasts: [[Float]]
        /// The valid time of `x_i`, `[cycles]`.
        public let validTimes: [Date]
    }

    /// Runs the control: `cycles` model steps.
    /// - analyses: the states at `t0 − cycles·Δt, t0 − (cycles−1)·Δt, …`, physical units, each
    ///   `[channels][nlat][nlon]`; at least the first. Where `analyses[i]` is missing the control continues with
    ///   the model; an analysis at `t0` itself (index `cycles`) is allowed and not used.
    /// - validTime: the valid time of `analyses[0]`
    /// - model: one model step of `Δt` from the valid time given, in place, physical units
    public func control(analyses: [[Float]], validTime: Date,
                        model step: (inout [Float], Date) throws -> Void) throws -> Control {
        guard (1...(cycles + 1)).contains(analyses.count) else {
            throw PerturbationStateError("bred vector: \(analyses.count) analyses for \(cycles) cycles, expected 1 … \(cycles + 1)")
        }
        for (i, a) in analyses.enumerated() where a.count != stateCount {
            throw PerturbationStateError("bred vector: analysis \(i) holds \(a.count) values, expected \(channels.count) × "
                + "\(nlat) × \(nlon)")
        }
        var states: [[Float]] = []
        var forecasts: [[Float]] = []
        var times: [Date] = []
        var x = analyses[0]
        for i in 0..<cycles {
            if i > 0 && i < analyses.count { x = analyses[i] }
            let time = validTime.addingTimeInterval(Double(i) * stepHours * 3600)
            states.append(x)
            times.append(time)
            try step(&x, time)
            try checkModelOutput(x)
            forecasts.append(x)
        }
        return Control(states: states, forecasts: forecasts, validTimes: times)
    }

    /// The bred vector `dx` at `t0` of pair `pair`, from a control run once for all pairs.
    /// - model: the model, as in `control`
    /// - returns: `[channels][nlat][nlon]`, each channel's hemispheric norms equal to its target
    public func breed(control: Control, seed: UInt64, pair: Int, initialTimeIndex: Int = 0,
                      model step: (inout [Float], Date) throws -> Void) throws -> [Float] {
        try breed(control: control, seed: seed, pairs: [pair], initialTimeIndex: initialTimeIndex) { states, _, time in
            try step(&states, time)
        }[0]
    }

    /// `breed(control:seed:pair:…)` of several pairs at once: each cycle steps every pair's perturbed state
    /// through one model call, so that a network runs them as one batch. Each pair's `dx` is its own
    /// `breed(control:seed:pair:…)`'s bit for bit where the model's batched step gives each member its own
    /// step's numbers (`ForecastModel.stepNormalised(members:count:validTimes:)`).
    /// - model: one model step of `Δt` of `count` states `[count][channels][nlat][nlon]` (physical units), all
    ///   valid at the date given, in place
    /// - returns: one `dx` per pair, `[channels][nlat][nlon]` each
    public func breed(control: Control, seed: UInt64, pairs: [Int], initialTimeIndex: Int = 0,
                      model step: (_ states: inout [Float], _ count: Int, _ validTime: Date) throws -> Void) throws -> [[Float]] {
        precondition(control.states.count == cycles && control.forecasts.count == cycles,
                     "HemisphericCentredBredVector.breed: control of \(control.states.count) cycles, expected \(cycles)")
        precondition(!pairs.isEmpty, "HemisphericCentredBredVector.breed: no pairs")
        var dx = pairs.map { seedPerturbation(seed: seed, pair: $0, initialTimeIndex: initialTimeIndex) }
        for i in 0..<cycles {
            let state = control.states[i]
            var perturbed = [Float]()
            perturbed.reserveCapacity(pairs.count * stateCount)
            for d in dx { for j in 0..<stateCount { perturbed.append(state[j] + d[j]) } }
            try step(&perturbed, pairs.count, control.validTimes[i])
            guard perturbed.count == pairs.count * stateCount else {
                throw PerturbationStateError("bred vector: the model returned \(perturbed.count) values for \(pairs.count) states, expected \(pairs.count) × \(stateCount)")
            }
            let forecast = control.forecasts[i]
            for k in dx.indices {
                for j in 0..<stateCount { dx[k][j] = perturbed[k * stateCount + j] - forecast[j] }
                norm.rescale(&dx[k], nlon: nlon, targets: targets)
            }
        }
        return dx
    }

    /// `control` then `breed` for one pair.
    public func breed(analyses: [[Float]], validTime: Date, seed: UInt64, pair: Int, initialTimeIndex: Int = 0,
                      model step: (inout [Float], Date) throws -> Void) throws -> [Float] {
        let control = try control(analyses: analyses, validTime: validTime, model: step)
        return try breed(control: control, seed: seed, pair: pair, initialTimeIndex: initialTimeIndex, model: step)
    }

    private func checkModelOutput(_ state: [Float]) throws {
        guard state.count == stateCount else {
            throw PerturbationStateError("bred vector: the model returned \(state.count) values, expected \(stateCount)")
        }
    }

    // MARK: - Members

    /// Perturbed member `k`: `x0 + dx` (even `k`) or `x0 − dx` (odd `k`) with the `dx` of pair `k / 2`
    /// (`CentredPair`), then the non-negative channels clipped at 0.
    /// - x0, dx: `[channels][nlat][nlon]`
    public func member(_ k: Int, x0: [Float], dx: [Float]) -> [Float] {
        precondition(x0.count == stateCount && dx.count == stateCount,
                     "HemisphericCentredBredVector.member: states of \(x0.count) and \(dx.count) values, expected \(stateCount)")
        let sign = CentredPair(member: k).sign
        var state = [Float](unsafeUninitializedCapacity: stateCount) { out, n in
            for i in 0..<stateCount { out[i] = x0[i] + sign * dx[i] }
            n = stateCount
        }
        clipNonNegative(&state)
        return state
    }

    /// Sets negative values of the non-negative channels to 0.
    /// - state: `[channels][nlat][nlon]`
    public func clipNonNegative(_ state: inout [Float]) {
        precondition(state.count == stateCount,
                     "HemisphericCentredBredVector.clipNonNegative: \(state.count) values, expected \(stateCount)")
        NonNegativeChannels(indices: nonNegativeChannels).clip(&state, points: nlat * nlon)
    }
}
