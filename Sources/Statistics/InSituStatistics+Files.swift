import Foundation
import Storage

// The layouts of statistics.h5 and scores.h5 (docs/statistics.md). Every definition is collective.

extension InSituStatistics {
    /// The scalar score metrics, stored per lead (`<v>_<metric>[lead_time]`) and per initial time
    /// (`<v>_<metric>_by_time[time, lead_time]`), in CSV order.
    static let scalarMetrics = ["rmse", "spread", "spread_skill", "spread_skill_wb2", "spread_skill_makani", "crps", "crps_fair", "outlier_fraction",
                                "best_member_rmse_pointwise", "mse_debiased", "energy_score", "best_member_rmse"]

    func thresholdDimension(_ variable: String) -> String { "threshold_\(variable)" }

    /// CF metadata of a variable in `name`'s units (its standard name only where `standardName`: a
    /// statistic such as a standard deviation or an RMSE is not the quantity itself).
    private func channelAttributes(_ name: String, standardName: Bool) -> [(String, NetCDFAttribute)] {
        guard let metadata = ChannelMetadata.named(name) else { return [] }
        return [("units", .text(metadata.units))]
            + (standardName ? metadata.standardName.map { [("standard_name", NetCDFAttribute.text($0))] } ?? [] : [])
    }

    /// Units of the score metrics: the variable's own, or dimensionless for ratios and shares.
    private func metricAttributes(_ name: String, metric: String) -> [(String, NetCDFAttribute)] {
        if metric == "mse_debiased" { return ChannelMetadata.named(name).map { [("units", NetCDFAttribute.text($0.squaredUnits))] } ?? [] }
        return ["spread_skill", "outlier_fraction"].contains(metric) ? NetCDFAttribute.dimensionless : channelAttributes(name, standardName: false)
    }

    private func defineCommonCoordinates(_ file: StatisticsOutputFile) throws {
        try file.coordinate("time", values: initialTimes.map { $0.timeIntervalSince1970 / 3600 },
                            attributes: NetCDFAttribute.hoursSinceEpoch + [("long_name", .text("initial time"))])
        try file.coordinate("lead_time", values: leadHours, attributes: NetCDFAttribute.leadTimeHours)
    }

    private func defineThresholds(_ file: StatisticsOutputFile) throws {
        for name in variables {
            guard let thresholds = settings.thresholds[name], !thresholds.isEmpty else { continue }
            try file.coordinate(thresholdDimension(name), values: thresholds,
                                attributes: [("long_name", .text("exceedance threshold of \(name) (event: value > threshold)"))]
                                    + channelAttributes(name, standardName: false))
        }
    }

    private var completedAttributes: [(String, NetCDFAttribute)] {
        [("long_name", .text("1 where the lead time is written")), ("flag_values", .int32s([0, 1])),
         ("flag_meanings", .text("not_written written"))]
    }

    func defineStatisticsFile(_ file: StatisticsOutputFile) throws {
        try defineCommonCoordinates(file)
        try file.coordinate("lat", values: latitudes, attributes: [("units", .text("degrees_north")), ("standard_name", .text("latitude"))])
        try file.coordinate("lon", values: longitudes, attributes: [("units", .text("degrees_east")), ("standard_name", .text("longitude"))])
        if !settings.quantileLevels.isEmpty {
            try file.coordinate("quantile", values: settings.quantileLevels,
                                attributes: [("long_name", .text("quantile level (numpy linear)"))] + NetCDFAttribute.dimensionless)
        }
        try defineThresholds(file)
        if let sht {
            try file.coordinate("wavenumber", values: (0..<sht.lmax).map { Int64($0) },
                                attributes: [("long_name", .text("total wavenumber l")), ("units", .text("1"))])
        }
        try file.variable("completed", of: Int32.self, dimensions: ["lead_time"], fillValue: 0, fillAttribute: false,
                          attributes: completedAttributes)
        try file.variable("members", of: Int32.self, dimensions: ["time", "lead_time"], fillValue: -1, fillAttribute: false,
                          attributes: [("long_name", .text("valid members in the statistics; -1: lead not written"))])
        let field = ["time", "lead_time", "lat", "lon"]
        for name in variables {
            // CF cell_methods: a statistic over the ensemble axis, named by its standard name `realization`.
            // The standard deviation keeps the units but not the standard name (it is not the quantity).
            for (suffix, description, method, isQuantity) in [
                ("mean", "ensemble mean", "mean", true), ("std", "ensemble standard deviation (ddof 1)", "standard_deviation", false),
                ("min", "ensemble minimum", "minimum", true), ("max", "ensemble maximum", "maximum", true),
            ] {
                try file.variable("\(name)_\(suffix)", of: Float.self, dimensions: field, fillValue: .nan,
                                  attributes: [("long_name", .text("\(description) of \(name)")),
                                               ("cell_methods", .text("realization: \(method)"))]
                                      + channelAttributes(name, standardName: isQuantity))
            }
            try file.variable("\(name)_beyond_ksigma", of: Float.self, dimensions: field, fillValue: .nan,
                              attributes: [("long_name", .text("share of members with |x - mean| > k std of \(name)")),
                                           ("k", .double(settings.kSigma))] + NetCDFAttribute.dimensionless)
            if let thresholds = settings.thresholds[name], !thresholds.isEmpty {
                try file.variable("\(name)_exceedance", of: Float.self, dimensions: [thresholdDimension(name)] + field, fillValue: .nan,
                                  attributes: [("long_name", .text("share of members above the threshold, \(name)"))]
                                      + NetCDFAttribute.dimensionless)
            }
            if !settings.quantileLevels.isEmpty {
                // CF 1.8 has no quantile cell method: the level is the `quantile` coordinate.
                try file.variable("\(name)_quantile", of: Float.self, dimensions: ["quantile"] + field, fillValue: .nan,
                                  attributes: [("long_name", .text("ensemble quantiles of \(name) over realization, at the levels of coordinate quantile"))]
                                      + channelAttributes(name, standardName: true))
            }
            if let index = variables.firstIndex(of: name), climate[index] != nil {
                try file.variable("\(name)_efi", of: Float.self, dimensions: field, fillValue: .nan,
                                  attributes: [("long_name", .text("extreme forecast index of \(name)"))] + NetCDFAttribute.dimensionless)
            }
            if sht != nil {
                let power = ChannelMetadata.named(name).map { [("units", NetCDFAttribute.text($0.squaredUnits))] } ?? []
                try file.variable("\(name)_spectrum_members", of: Double.self, dimensions: ["time", "lead_time", "wavenumber"], fillValue: .nan,
                                  attributes: [("long_name", .text("mean angular power spectrum of the members of \(name)")),
                                               ("cell_methods", .text("realization: mean"))] + power)
                try file.variable("\(name)_spectrum_mean", of: Double.self, dimensions: ["time", "lead_time", "wavenumber"], fillValue: .nan,
                                  attributes: [("long_name", .text("angular power spectrum of the ensemble mean of \(name)"))] + power)
            }
        }
    }

    func defineScoresFile(_ file: StatisticsOutputFile) throws {
        try defineCommonCoordinates(file)
        try file.coordinate("rank", values: (0...membersPerTime).map { Int64($0) },
                            attributes: [("long_name", .text("rank of the truth among the members")), ("units", .text("1"))])
        try file.coordinate("probability_bin", values: (0..<ScoreConfiguration.reliabilityBinCount).map { Double($0) / 10 },
                            attributes: [("long_name", .text("forecast probability bin centre"))] + NetCDFAttribute.dimensionless)
        try file.coordinate("roc_level", values: (0...membersPerTime).map { Int64($0) },
                            attributes: [("long_name", .text("ROC level k: forecast yes where at least k of the M members exceed the threshold (p >= k/M)")),
                                         ("units", .text("1"))])
        try defineThresholds(file)
        try file.variable("completed", of: Int32.self, dimensions: ["lead_time"], fillValue: 0, fillAttribute: false,
                          attributes: completedAttributes)
        try file.variable("members_by_time", of: Int32.self, dimensions: ["time", "lead_time"], fillValue: -1, fillAttribute: false,
                          attributes: [("long_name", .text("valid members verified; -1: lead not written"))])
        let joint = "energy score of all variables as one field (squared area-weighted norms added, unscaled)"
        try file.variable("energy_score", of: Double.self, dimensions: ["lead_time"], fillValue: .nan,
                          attributes: [("long_name", .text("\(joint), mean over initial times"))])
        try file.variable("energy_score_by_time", of: Double.self, dimensions: ["time", "lead_time"], fillValue: .nan,
                          attributes: [("long_name", .text("\(joint), per initial time"))])
        // Integer variables without _FillValue (their storage default is a value of their own meaning),
        // so that tools read them as integers.
        for name in variables {
            try file.variable("\(name)_members", of: Int32.self, dimensions: ["lead_time"], fillValue: 0, fillAttribute: false,
                              attributes: [("long_name", .text("M of the aggregated scores (largest valid member count), 0: none"))])
            for metric in Self.scalarMetrics {
                try file.variable("\(name)_\(metric)", of: Double.self, dimensions: ["lead_time"], fillValue: .nan,
                                  attributes: [("long_name", .text("\(metric) of \(name) over all initial times"))]
                                      + metricAttributes(name, metric: metric))
                try file.variable("\(name)_\(metric)_by_time", of: Double.self, dimensions: ["time", "lead_time"], fillValue: .nan,
                                  attributes: [("long_name", .text("\(metric) of \(name) per initial time"))]
                                      + metricAttributes(name, metric: metric))
            }
            try file.variable("\(name)_best_member", of: Int32.self, dimensions: ["lead_time"], fillValue: -1, fillAttribute: false,
                              attributes: [("long_name", .text("ensemble index with the least mean squared error over all initial times; -1: none"))])
            try file.variable("\(name)_best_member_by_time", of: Int32.self, dimensions: ["time", "lead_time"], fillValue: -1, fillAttribute: false,
                              attributes: [("long_name", .text("ensemble index of the best member per initial time; -1: none"))])
            try file.variable("\(name)_rank_histogram", of: Int64.self, dimensions: ["lead_time", "rank"], fillValue: 0, fillAttribute: false,
                              attributes: [("long_name", .text("rank histogram of \(name) over all initial times")), ("units", .text("1"))])
            try file.variable("\(name)_rank_histogram_by_time", of: Int64.self, dimensions: ["time", "lead_time", "rank"], fillValue: 0,
                              fillAttribute: false,
                              attributes: [("long_name", .text("rank histogram of \(name) per initial time")), ("units", .text("1"))])
            if let thresholds = settings.thresholds[name], !thresholds.isEmpty {
                let k = thresholdDimension(name)
                try file.variable("\(name)_brier", of: Double.self, dimensions: [k, "lead_time"], fillValue: .nan,
                                  attributes: [("long_name", .text("Brier score of \(name) > threshold"))] + NetCDFAttribute.dimensionless)
                try file.variable("\(name)_brier_by_time", of: Double.self, dimensions: [k, "time", "lead_time"], fillValue: .nan,
                                  attributes: [("long_name", .text("Brier score of \(name) > threshold per initial time"))]
                                      + NetCDFAttribute.dimensionless)
                try file.variable("\(name)_reliability_count", of: Int64.self, dimensions: [k, "lead_time", "probability_bin"], fillValue: 0,
                                  fillAttribute: false,
                                  attributes: [("long_name", .text("grid points per forecast-probability bin")), ("units", .text("1"))])
                try file.variable("\(name)_reliability_observed", of: Double.self, dimensions: [k, "lead_time", "probability_bin"], fillValue: .nan,
                                  attributes: [("long_name", .text("observed frequency per bin"))] + NetCDFAttribute.dimensionless)
                try file.variable("\(name)_reliability_forecast", of: Double.self, dimensions: [k, "lead_time", "probability_bin"], fillValue: .nan,
                                  attributes: [("long_name", .text("mean forecast probability per bin"))] + NetCDFAttribute.dimensionless)
                for (suffix, perTime) in [("", false), ("_by_time", true)] {
                    let across = perTime ? [k, "time", "lead_time"] : [k, "lead_time"]
                    let when = perTime ? " per initial time" : ""
                    try file.variable("\(name)_tw_crps\(suffix)", of: Double.self, dimensions: across, fillValue: .nan,
                                      attributes: [("long_name", .text("threshold-weighted CRPS of \(name), chaining max(x, threshold)\(when)"))]
                                          + channelAttributes(name, standardName: false))
                    for (metric, description) in [("roc_hit_rate", "ROC hit rate"), ("roc_false_alarm_rate", "ROC false-alarm rate")] {
                        try file.variable("\(name)_\(metric)\(suffix)", of: Double.self, dimensions: across + ["roc_level"], fillValue: .nan,
                                          attributes: [("long_name", .text("\(description) of \(name) > threshold at level k/M (M = \(name)_members)\(when)"))]
                                              + NetCDFAttribute.dimensionless)
                    }
                    try file.variable("\(name)_roc_area\(suffix)", of: Double.self, dimensions: across, fillValue: .nan,
                                      attributes: [("long_name", .text("area under the ROC curve of \(name) > threshold\(when)"))]
                                          + NetCDFAttribute.dimensionless)
                    try file.variable("\(name)_edi\(suffix)", of: Double.self, dimensions: across, fillValue: .nan,
                                      attributes: [("long_name", .text("extremal dependence index of \(name) > threshold at p >= 0.5\(when)"))]
                                          + NetCDFAttribute.dimensionless)
                }
            }
        }
    }
}
