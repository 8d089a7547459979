import Foundation

/// A field computed from a member's physical state before output (`output.derived`), then written, reduced
/// and scored like a state channel (HENS saved IVT, heat index and 10 m wind speed besides the state).
///
/// Names and inputs (docs/configuration.md, "Derived variables"):
/// - `ws<s>`: wind speed `√(u² + v²)` of the pair `u<s>`, `v<s>` — `ws10m`, `ws100m`, `ws500`, and `ws`
///   (the built-in world's `u`, `v`);
/// - `ivt`: integrated vapour transport `|(1/g) ∫ q (u, v) dp|`, trapezoid over every pressure level
///   with `q`, `u` and `v` (at least two), p in Pa, g = 9.80665 m s-2;
/// - `heat_index`: NOAA's heat index (Rothfusz regression with its adjustments) from `t2m` and the 2 m
///   dewpoint (`d2m`, or makani's `2d`), through the relative humidity from the dewpoint;
/// - `r2m`: 2 m relative humidity (%) from `t2m` and the dewpoint; `r<level>`: relative humidity (%) at a
///   pressure level from `t<level>` and `q<level>`.
/// Formulas are MetPy 1.7.1's (`Thermodynamics`).
public struct DerivedVariable: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case windSpeed
        /// Levels in hPa, ascending, with the channel indices of (q, u, v) at each.
        case integratedVapourTransport(levels: [Int])
        case heatIndex
        case relativeHumidityFromDewpoint
        case relativeHumidityOnLevel(hPa: Int)
    }

    public let name: String
    public let kind: Kind
    /// State channels read, as indices into the state: (u, v); (q, u, v) per level; (t, dewpoint); (t, q).
    public let inputs: [Int]

    /// The names `output.derived` accepts, for messages.
    public static let namesHelp = "ws<suffix> (from u<suffix>, v<suffix>: ws10m, ws100m, ws500, ws), ivt, heat_index, r2m, r<level> (e.g. r850)"

    /// The derived variable `name` of a model with `channels`, or a message naming what is unknown or missing.
    public static func resolve(_ name: String, channels: [String]) -> Result<DerivedVariable, DerivedVariableError> {
        func index(_ channel: String) -> Int? { channels.firstIndex(of: channel) }
        func needing(_ needed: [String], _ kind: Kind) -> Result<DerivedVariable, DerivedVariableError> {
            let missing = needed.filter { index($0) == nil }
            guard missing.isEmpty else {
                return .failure(DerivedVariableError(name: name, message: "needs channel(s) \(needed.joined(separator: ", ")); the model has no \(missing.joined(separator: ", "))"))
            }
            return .success(DerivedVariable(name: name, kind: kind, inputs: needed.map { index($0)! }))
        }
        let dewpoint = index("d2m") != nil ? "d2m" : "2d"
        switch name {
        case "ivt":
            let levels = channels.compactMap { c -> Int? in
                guard c.first == "q", let level = Int(c.dropFirst()), level > 0 else { return nil }
                return index("u\(level)") != nil && index("v\(level)") != nil ? level : nil
            }.sorted()
            guard levels.count >= 2 else {
                return .failure(DerivedVariableError(name: name, message: "needs q, u and v on at least two pressure levels (q850, u850, v850, …); the model has them on \(levels.count)"))
            }
            return .success(DerivedVariable(name: name, kind: .integratedVapourTransport(levels: levels),
                                            inputs: levels.flatMap { [index("q\($0)")!, index("u\($0)")!, index("v\($0)")!] }))
        case "heat_index":
            return needing(["t2m", dewpoint], .heatIndex)
        case "r2m":
            return needing(["t2m", dewpoint], .relativeHumidityFromDewpoint)
        default:
            if name.hasPrefix("ws") {
                let suffix = name.dropFirst(2)
                return needing(["u\(suffix)", "v\(suffix)"], .windSpeed)
            }
            if name.first == "r", let level = Int(name.dropFirst()), level > 0 {
                return needing(["t\(level)", "q\(level)"], .relativeHumidityOnLevel(hPa: level))
            }
            return .failure(DerivedVariableError(name: name, message: "is not a derived variable Myriad knows; known: \(namesHelp)"))
        }
    }

    /// Appends this variable's field to `output`. - state: physical units, `[channel][point]`, `points` per channel
    public func compute(state: UnsafeBufferPointer<Float>, points n: Int, into output: inout [Float]) {
        func value(_ k: Int, _ i: Int) -> Double { Double(state[inputs[k] * n + i]) }
        switch kind {
        case .windSpeed:
            for i in 0..<n { output.append(Float((value(0, i) * value(0, i) + value(1, i) * value(1, i)).squareRoot())) }
        case .integratedVapourTransport(let levels):
            for i in 0..<n {
                // numpy.trapezoid over p: Σ (p_{k+1} − p_k)(f_k + f_{k+1})/2
                var (eastward, northward) = (0.0, 0.0)
                for k in 0..<(levels.count - 1) {
                    let dp = Double(levels[k + 1] - levels[k]) * 100
                    let (q0, q1) = (value(3 * k, i), value(3 * k + 3, i))
                    eastward += dp * (q0 * value(3 * k + 1, i) + q1 * value(3 * k + 4, i)) / 2
                    northward += dp * (q0 * value(3 * k + 2, i) + q1 * value(3 * k + 5, i)) / 2
                }
                let (x, y) = (eastward / Thermodynamics.gravity, northward / Thermodynamics.gravity)
                output.append(Float((x * x + y * y).squareRoot()))
            }
        case .heatIndex:
            for i in 0..<n {
                let rh = Thermodynamics.relativeHumidity(temperature: value(0, i), dewpoint: value(1, i))
                output.append(Float(Thermodynamics.heatIndex(temperature: value(0, i), relativeHumidity: rh)))
            }
        case .relativeHumidityFromDewpoint:
            for i in 0..<n { output.append(Float(100 * Thermodynamics.relativeHumidity(temperature: value(0, i), dewpoint: value(1, i)))) }
        case .relativeHumidityOnLevel(let hPa):
            let p = Double(hPa) * 100
            for i in 0..<n {
                output.append(Float(100 * Thermodynamics.relativeHumidity(pressure: p, temperature: value(0, i), specificHumidity: value(1, i))))
            }
        }
    }

    /// Appends every derived field to `state`. - state: `[channel][point]` physical units
    public static func extend(_ state: inout [Float], with derived: [DerivedVariable], points: Int) {
        guard !derived.isEmpty else { return }
        var fields = [Float]()
        fields.reserveCapacity(derived.count * points)
        state.withUnsafeBufferPointer { x in
            for variable in derived { variable.compute(state: x, points: points, into: &fields) }
        }
        state.append(contentsOf: fields)
    }
}

/// A derived variable that is unknown or lacks an input channel.
public struct DerivedVariableError: Error, CustomStringConvertible, Sendable {
    public let name: String
    public let message: String
    public var description: String { "output.derived: '\(name)' \(message)" }
}
