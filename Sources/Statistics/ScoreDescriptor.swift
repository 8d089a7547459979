import Storage

/// One verification score of a variable as it appears in scores.h5 and scores.csv: its name, what it is
/// indexed by, its storage, units and long name, where its rows go in the CSV, and how it is computed from
/// the reduced sums. `ScoreDescriptor.table` lists them all; the file definitions, the per-lead writes and
/// the CSV are loops over that table (docs/statistics.md has the same list with the formulas).
struct ScoreDescriptor: Sendable {
    /// The axes of `<v>_<name>` besides (time,) lead_time, in the file's order.
    enum Axis: Sendable {
        /// `[lead_time]`
        case none
        /// `[threshold_<v>, lead_time]`
        case threshold
        /// `[threshold_<v>, lead_time, roc_level]`, levels 0 … M of the summary
        case thresholdAndLevel
        /// `[threshold_<v>, lead_time, probability_bin]`, the 11 reliability bins
        case thresholdAndBin
        /// `[lead_time, rank]`, ranks 0 … M of the summary
        case rank
        /// `[lead_time, size]`, the sub-ensemble sizes of `EnsembleSizeSummary`
        case size

        var hasThreshold: Bool { self != .none && self != .rank && self != .size }
    }

    /// Float64 with a NaN fill (attribute written), or integers whose storage default is a value of its own
    /// meaning (no `_FillValue`, so that tools read them as integers).
    enum Storage: Sendable { case double, int32(fill: Int32), int64 }

    enum Units: Sendable {
        /// The variable's units (`ChannelMetadata`), without its standard name: a score is not the quantity.
        case variable
        /// The variable's units squared.
        case squared
        /// `units = "1"`
        case dimensionless
        /// No units attribute.
        case none
    }

    /// Where the rows of a score stand in scores.csv (the order `myriad score` has always written):
    /// the scalars, Brier per threshold, the reliability table per threshold and bin, the rank histogram,
    /// per threshold the extremes (tw-CRPS, ROC area, EDI, then the ROC rates per level), the best member.
    enum CSVPlace: Int, CaseIterable, Sendable { case head, brier, reliability, rank, extremes, tail }

    let name: String
    let axis: Axis
    let storage: Storage
    let units: Units
    /// Whether `<v>_<name>` (over all initial times) and `<v>_<name>_by_time` (per initial time) exist.
    let overall: Bool, perTime: Bool
    /// `long_name` for a variable, over all initial times (false) or per initial time (true).
    let longName: @Sendable (_ variable: String, _ perTime: Bool) -> String
    /// The CSV place and the row's metric name from the threshold's text and the inner index (bin, level,
    /// rank); nil: not in the CSV.
    let csv: (place: CSVPlace, metric: @Sendable (_ threshold: String, _ index: Int) -> String)?
    /// The value at (threshold index, inner index), each 0 where the axis has none.
    let value: @Sendable (_ scores: ScoreValues, _ threshold: Int, _ index: Int) -> Double

    /// Dimensions in the file, per time or over all times.
    func dimensions(variable: String, perTime: Bool) -> [String] {
        let time = perTime ? ["time", "lead_time"] : ["lead_time"]
        switch axis {
        case .none: return time
        case .threshold: return ["threshold_\(variable)"] + time
        case .thresholdAndLevel: return ["threshold_\(variable)"] + time + ["roc_level"]
        case .thresholdAndBin: return ["threshold_\(variable)"] + time + ["probability_bin"]
        case .rank: return time + ["rank"]
        case .size: return time + ["size"]
        }
    }

    /// The length of the inner axis for a summary of M members and E ensemble indices (1 where there is none).
    func innerCount(memberCount m: Int, ensembleSize e: Int) -> Int {
        switch axis {
        case .none, .threshold: return 1
        case .thresholdAndLevel, .rank: return m + 1
        case .thresholdAndBin: return ScoreConfiguration.reliabilityBinCount
        case .size: return EnsembleSizeSummary.sizes(upTo: e).count
        }
    }

    /// The length of the inner axis of these scores.
    func innerCount(_ scores: ScoreValues) -> Int {
        axis == .size ? scores.ensembleSize?.sizes.count ?? 0 : innerCount(memberCount: scores.summary.memberCount, ensembleSize: 1)
    }

    /// The values of one (time, lead) cell, threshold-major: [threshold][inner].
    func values(_ scores: ScoreValues, thresholdCount: Int) -> [Double] {
        let inner = innerCount(scores)
        return (0..<(axis.hasThreshold ? thresholdCount : 1)).flatMap { k in (0..<inner).map { value(scores, k, $0) } }
    }

    /// Variables are named `<variable>_<name>` and `<variable>_<name>_by_time`.
    func variableName(_ variable: String, perTime: Bool) -> String { "\(variable)_\(name)\(perTime ? "_by_time" : "")" }
}

/// What the scores of one variable at one lead — of one initial time, or over all of them — are computed
/// from: the reduced verification sums and the two values that do not accumulate as sums.
struct ScoreValues {
    /// All ranks' sums (for the aggregate: accumulated over the initial times).
    let summary: VerificationSummary
    /// Per time the summary's own; over times the mean of the per-time scores (WB2 averages over time).
    let energyScore: Double
    /// The member of least area-weighted MSE over the field and its RMSE; nil: none.
    let bestMember: (index: Int, rmse: Double)?
    /// The sub-ensembles' scores (in situ); nil where not computed (`myriad score`'s per-lead path).
    var ensembleSize: EnsembleSizeSummary? = nil
}

extension ScoreDescriptor {
    /// The rows of scores.csv for one variable at one lead, from `value(descriptor, threshold, index)`: the
    /// descriptors with a CSV place, place by place; per threshold the descriptors of a place side by side,
    /// each inner index (bin, level) giving one row per descriptor.
    static func csvRows(thresholds: [Double], memberCount m: Int,
                        value: (ScoreDescriptor, Int, Int) throws -> Double) rethrows -> [(metric: String, value: Double)] {
        var rows: [(metric: String, value: Double)] = []
        for place in CSVPlace.allCases {
            let here = table.filter { $0.csv?.place == place }
            let outer = here.contains { $0.axis.hasThreshold } ? Array(thresholds.enumerated()) : [(0, Double.nan)]
            for (k, tau) in outer {
                let text = tau.isNaN ? "" : "\(tau)"
                // Inner axis none first (tw-CRPS, ROC area, EDI), then the inner indices side by side.
                for d in here where d.innerCount(memberCount: m, ensembleSize: 1) == 1 {
                    rows.append((d.csv!.metric(text, 0), try value(d, k, 0)))
                }
                let inner = here.filter { $0.innerCount(memberCount: m, ensembleSize: 1) > 1 }
                guard let count = inner.first?.innerCount(memberCount: m, ensembleSize: 1) else { continue }
                for i in 0..<count {
                    for d in inner { rows.append((d.csv!.metric(text, i), try value(d, k, i))) }
                }
            }
        }
        return rows
    }

    /// The CSV rows straight from the reduced values (`myriad score` without the engine's files).
    static func csvRows(_ scores: ScoreValues, thresholds: [Double]) -> [(metric: String, value: Double)] {
        csvRows(thresholds: thresholds, memberCount: scores.summary.memberCount) { d, k, i in d.value(scores, k, i) }
    }

    /// The attributes of `<variable>_<name>[_by_time]`: long name, then units.
    func attributes(variable: String, perTime: Bool) -> [(String, NetCDFAttribute)] {
        let long: [(String, NetCDFAttribute)] = [("long_name", .text(longName(variable, perTime)))]
        let metadata = ChannelMetadata.named(variable)
        switch units {
        case .variable: return long + (metadata.map { [("units", NetCDFAttribute.text($0.units))] } ?? [])
        case .squared: return long + (metadata.map { [("units", NetCDFAttribute.text($0.squaredUnits))] } ?? [])
        case .dimensionless: return long + NetCDFAttribute.dimensionless
        case .none: return long
        }
    }
}
