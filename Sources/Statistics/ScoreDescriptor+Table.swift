extension ScoreDescriptor {
    /// Every score of a variable, in the files' order. Descriptors of one block are defined side by side
    /// (each block: all over all initial times, then all per initial time) — the variable order of scores.h5.
    static let blocks: [[ScoreDescriptor]] = [
        [ScoreDescriptor(name: "members", axis: .none, storage: .int32(fill: 0), units: .none, overall: true, perTime: false,
                         longName: { _, _ in "M of the aggregated scores (largest valid member count), 0: none" }, csv: nil,
                         value: { s, _, _ in Double(s.summary.memberCount) })],
        [scalar("rmse", .variable) { $0.summary.rmse }],
        [scalar("spread", .variable) { $0.summary.spread }],
        [scalar("spread_skill", .dimensionless) { $0.summary.spreadSkill }],
        [scalar("spread_skill_wb2", .dimensionless) { $0.summary.spreadSkillWB2 }],
        [scalar("spread_skill_makani", .dimensionless) { $0.summary.spreadSkillMakani }],
        [scalar("crps", .variable) { $0.summary.crps }],
        [scalar("crps_fair", .variable) { $0.summary.fairCRPS }],
        [scalar("outlier_fraction", .dimensionless) { $0.summary.outlierFraction }],
        [scalar("best_member_rmse_pointwise", .variable) { $0.summary.pointwiseBestMemberRMSE }],
        [scalar("mse_debiased", .squared) { $0.summary.debiasedMSE }],
        [scalar("energy_score", .variable) { $0.energyScore }],
        [scalar("best_member_rmse", .variable, csv: .tail) { $0.bestMember?.rmse ?? .nan }],
        [ScoreDescriptor(name: "best_member", axis: .none, storage: .int32(fill: -1), units: .none, overall: true, perTime: true,
                         longName: { _, perTime in
                             perTime ? "ensemble index of the best member per initial time; -1: none"
                                 : "ensemble index with the least mean squared error over all initial times; -1: none"
                         },
                         csv: (.tail, { _, _ in "best_member" }), value: { s, _, _ in Double(s.bestMember?.index ?? -1) })],
        [ScoreDescriptor(name: "rank_histogram", axis: .rank, storage: .int64, units: .dimensionless, overall: true, perTime: true,
                         longName: { v, perTime in "rank histogram of \(v) \(perTime ? "per initial time" : "over all initial times")" },
                         csv: (.rank, { _, r in "rank_\(r)" }), value: { s, _, r in s.summary.sums[s.summary.rankOffset + r] })],
        [ScoreDescriptor(name: "brier", axis: .threshold, storage: .double, units: .dimensionless, overall: true, perTime: true,
                         longName: { v, perTime in "Brier score of \(v) > threshold\(perTime ? " per initial time" : "")" },
                         csv: (.brier, { tau, _ in "brier_gt_\(tau)" }), value: { s, k, _ in s.summary.brier(threshold: k) })],
        [reliability("count", "grid points per forecast-probability bin") { Double($0.count) }],
        [reliability("observed", "observed frequency per bin") { $0.observed }],
        [reliability("forecast", "mean forecast probability per bin") { $0.forecast }],
        [
            extreme("tw_crps", .variable, csv: { "tw_crps_gt_\($0)" },
                    longName: { v in "threshold-weighted CRPS of \(v), chaining max(x, threshold)" }) { s, k in s.summary.thresholdWeightedCRPS(threshold: k) },
            extreme("ow_crps", .variable, csv: { "ow_crps_gt_\($0)" },
                    longName: { v in "outcome-weighted CRPS of \(v), weight 1{x > threshold}, mean over the points where a member exceeds the threshold" }) { s, k in
                s.summary.outcomeWeightedCRPS(threshold: k)
            },
            rocRate("roc_hit_rate", "ROC hit rate", csv: "hit_rate") { s, k, level in s.summary.hitRate(threshold: k, level: level) },
            rocRate("roc_false_alarm_rate", "ROC false-alarm rate", csv: "false_alarm_rate") { s, k, level in
                s.summary.falseAlarmRate(threshold: k, level: level)
            },
            extreme("roc_area", .dimensionless, csv: { "roc_area_gt_\($0)" },
                    longName: { v in "area under the ROC curve of \(v) > threshold" }) { s, k in s.summary.rocArea(threshold: k) },
            extreme("edi", .dimensionless, csv: { "edi_gt_\($0)" },
                    longName: { v in "extremal dependence index of \(v) > threshold at p >= 0.5" }) { s, k in
                s.summary.extremalDependenceIndex(threshold: k)
            },
        ],
        [subsample("crps", .variable, "CRPS of the sub-ensemble") { $0.crps($1) }],
        [subsample("outlier_fraction", .dimensionless, "outlier fraction (truth outside the range) of the sub-ensemble") { $0.outlierFraction($1) }],
        [subsample("in_range", .dimensionless, "share of points whose truth lies in the range of the sub-ensemble") { $0.inRange($1) }],
        [subsample("best_member_rmse", .variable, "RMSE of the best member over the field of the sub-ensemble") { $0.bestMemberRMSE($1) }],
    ]

    static let table: [ScoreDescriptor] = blocks.flatMap { $0 }

    // MARK: - Kinds of entries

    /// A float64 score per (time,) lead: `<metric> of <v> over all initial times` / `per initial time`.
    private static func scalar(_ name: String, _ units: Units, csv: CSVPlace = .head,
                               _ value: @escaping @Sendable (ScoreValues) -> Double) -> ScoreDescriptor {
        ScoreDescriptor(name: name, axis: .none, storage: .double, units: units, overall: true, perTime: true,
                        longName: { v, perTime in "\(name) of \(v) \(perTime ? "per initial time" : "over all initial times")" },
                        csv: (csv, { _, _ in name }), value: { s, _, _ in value(s) })
    }

    /// One column of the 11-bin reliability table per threshold, over all initial times only.
    private static func reliability(_ column: String, _ longName: String,
                                    _ value: @escaping @Sendable ((count: Int, observed: Double, forecast: Double)) -> Double) -> ScoreDescriptor {
        ScoreDescriptor(name: "reliability_\(column)", axis: .thresholdAndBin, storage: column == "count" ? .int64 : .double,
                        units: .dimensionless, overall: true, perTime: false, longName: { _, _ in longName },
                        csv: (.reliability, { tau, b in "reliability_gt_\(tau)_bin\(b)_\(column)" }),
                        value: { s, k, b in value(s.summary.reliability(threshold: k, bin: b)) })
    }

    /// A float64 score per threshold, over all initial times and per initial time.
    private static func extreme(_ name: String, _ units: Units, csv: @escaping @Sendable (String) -> String,
                                longName: @escaping @Sendable (String) -> String,
                                _ value: @escaping @Sendable (ScoreValues, Int) -> Double) -> ScoreDescriptor {
        ScoreDescriptor(name: name, axis: .threshold, storage: .double, units: units, overall: true, perTime: true,
                        longName: { v, perTime in longName(v) + (perTime ? " per initial time" : "") },
                        csv: (.extremes, { tau, _ in csv(tau) }), value: { s, k, _ in value(s, k) })
    }

    /// A score of the random sub-ensembles, per size (`EnsembleSizeSummary`; not in the CSV).
    private static func subsample(_ name: String, _ units: Units, _ description: String,
                                  _ value: @escaping @Sendable (EnsembleSizeSummary, Int) -> Double) -> ScoreDescriptor {
        ScoreDescriptor(name: "subsample_\(name)", axis: .size, storage: .double, units: units, overall: true, perTime: true,
                        longName: { v, perTime in
                            "\(description) of \(v) by its size (members drawn without replacement)"
                                + (perTime ? " per initial time" : ", over all initial times")
                        },
                        csv: nil, value: { s, _, k in s.ensembleSize.map { value($0, k) } ?? .nan })
    }

    /// A ROC rate per threshold and level k = 0 … M.
    private static func rocRate(_ name: String, _ description: String, csv: String,
                                _ value: @escaping @Sendable (ScoreValues, Int, Int) -> Double) -> ScoreDescriptor {
        ScoreDescriptor(name: name, axis: .thresholdAndLevel, storage: .double, units: .dimensionless, overall: true, perTime: true,
                        longName: { v, perTime in
                            "\(description) of \(v) > threshold at level k/M (M = \(v)_members)\(perTime ? " per initial time" : "")"
                        },
                        csv: (.extremes, { tau, level in "roc_gt_\(tau)_level\(level)_\(csv)" }), value: value)
    }
}
