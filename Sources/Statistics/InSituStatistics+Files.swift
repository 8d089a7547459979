import Foundation
import Storage

// The layouts of statistics.h5 and scores.h5 (docs/statistics.md). Every definition is collective.

extension InSituStatistics {
    func thresholdDimension(_ variable: String) -> String { "threshold_\(variable)" }

    /// CF metadata of a variable in `name`'s units (its standard name only where `standardName`: a
    /// statistic such as a standard deviation or an RMSE is not the quantity itself).
    private func channelAttributes(_ name: String, standardName: Bool) -> [(String, NetCDFAttribute)] {
        guard let metadata = ChannelMetadata.named(name) else { return [] }
        return [("units", .text(metadata.units))]
            + (standardName ? metadata.standardName.map { [("standard_name", NetCDFAttribute.text($0))] } ?? [] : [])
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
        for (v, name) in variables.enumerated() {
            for d in StatisticDescriptor.table where hasStatistic(d, variable: v) {
                let attributes = d.attributes(variable: name, settings: settings)
                if d.axis == .spectrum {
                    try file.variable(d.variableName(name), of: Double.self, dimensions: d.dimensions(variable: name), fillValue: .nan,
                                      attributes: attributes)
                } else {
                    try file.variable(d.variableName(name), of: Float.self, dimensions: d.dimensions(variable: name), fillValue: .nan,
                                      attributes: attributes)
                }
            }
        }
    }

    /// Whether variable `v` has statistic `d` in this run.
    func hasStatistic(_ d: StatisticDescriptor, variable v: Int) -> Bool {
        switch d.condition {
        case .always: return true
        case .thresholds: return !(settings.thresholds[variables[v]] ?? []).isEmpty
        case .quantiles: return !settings.quantileLevels.isEmpty
        case .climate: return climate[v] != nil
        case .spectra: return sht != nil
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
        try file.coordinate("size", values: EnsembleSizeSummary.sizes(upTo: membersPerTime).map { Int64($0) },
                            attributes: [("long_name", .text("sub-ensemble size m: members drawn without replacement (1, 2, 4, ..., and all)")),
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
        for name in variables {
            let hasThresholds = !(settings.thresholds[name] ?? []).isEmpty
            for block in ScoreDescriptor.blocks {
                for perTime in [false, true] {
                    for d in block where (perTime ? d.perTime : d.overall) && (hasThresholds || !d.axis.hasThreshold) {
                        try defineScore(d, variable: name, perTime: perTime, in: file)
                    }
                }
            }
        }
    }

    private func defineScore(_ d: ScoreDescriptor, variable: String, perTime: Bool, in file: StatisticsOutputFile) throws {
        let (name, dimensions) = (d.variableName(variable, perTime: perTime), d.dimensions(variable: variable, perTime: perTime))
        let attributes = d.attributes(variable: variable, perTime: perTime)
        switch d.storage {
        case .double:
            try file.variable(name, of: Double.self, dimensions: dimensions, fillValue: .nan, attributes: attributes)
        case .int32(let fill):
            try file.variable(name, of: Int32.self, dimensions: dimensions, fillValue: fill, fillAttribute: false, attributes: attributes)
        case .int64:
            try file.variable(name, of: Int64.self, dimensions: dimensions, fillValue: 0, fillAttribute: false, attributes: attributes)
        }
    }
}
