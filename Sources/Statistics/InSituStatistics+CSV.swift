import Storage

extension InSituStatistics {
    /// `scores.csv` from scores.h5: `variable,lead_time,metric,value`, lead by lead (completed ones) and
    /// variable by variable, the metrics in `VerificationSummary.rows` order (with its `extremeRows`) followed by best_member_rmse
    /// and best_member — the rows `myriad score --output` writes.
    func scoresCSV(fromScoresFile path: String) throws -> String {
        let file = try HDF5File.open(path)
        func read<T: HDF5Scalar>(_ name: String, _ type: T.Type) throws -> [T] { try file.openDataset(name).read(T.self) }
        let completed = try read("completed", Int32.self)
        let bins = ScoreConfiguration.reliabilityBinCount
        let leads = leadHours.count
        let rankCount = membersPerTime + 1
        var data: [String: (members: [Int32], scalars: [[Double]], best: [Int32], ranks: [Int64], brier: [Double],
                            count: [Int64], observed: [Double], forecast: [Double],
                            twCRPS: [Double], rocArea: [Double], edi: [Double], hitRate: [Double], falseAlarmRate: [Double])] = [:]
        for name in variables {
            let hasThresholds = !(settings.thresholds[name] ?? []).isEmpty
            data[name] = (try read("\(name)_members", Int32.self), try Self.scalarMetrics.map { try read("\(name)_\($0)", Double.self) },
                          try read("\(name)_best_member", Int32.self), try read("\(name)_rank_histogram", Int64.self),
                          hasThresholds ? try read("\(name)_brier", Double.self) : [],
                          hasThresholds ? try read("\(name)_reliability_count", Int64.self) : [],
                          hasThresholds ? try read("\(name)_reliability_observed", Double.self) : [],
                          hasThresholds ? try read("\(name)_reliability_forecast", Double.self) : [],
                          hasThresholds ? try read("\(name)_tw_crps", Double.self) : [],
                          hasThresholds ? try read("\(name)_roc_area", Double.self) : [],
                          hasThresholds ? try read("\(name)_edi", Double.self) : [],
                          hasThresholds ? try read("\(name)_roc_hit_rate", Double.self) : [],
                          hasThresholds ? try read("\(name)_roc_false_alarm_rate", Double.self) : [])
        }
        var csv = "variable,lead_time,metric,value\n"
        for lead in 0..<leads where completed[lead] == 1 {
            for name in variables {
                let d = data[name]!
                let m = Int(d.members[lead])
                guard m > 0 else { continue }
                let thresholds = settings.thresholds[name] ?? []
                var rows: [(String, Double)] = []
                for (k, metric) in Self.scalarMetrics.dropLast().enumerated() { rows.append((metric, d.scalars[k][lead])) }
                for (k, tau) in thresholds.enumerated() { rows.append(("brier_gt_\(tau)", d.brier[k * leads + lead])) }
                for (k, tau) in thresholds.enumerated() {
                    for b in 0..<bins {
                        let i = (k * leads + lead) * bins + b
                        rows.append(("reliability_gt_\(tau)_bin\(b)_count", Double(d.count[i])))
                        rows.append(("reliability_gt_\(tau)_bin\(b)_observed", d.observed[i]))
                        rows.append(("reliability_gt_\(tau)_bin\(b)_forecast", d.forecast[i]))
                    }
                }
                for r in 0...m { rows.append(("rank_\(r)", Double(d.ranks[lead * rankCount + r]))) }
                for (k, tau) in thresholds.enumerated() {
                    rows.append(("tw_crps_gt_\(tau)", d.twCRPS[k * leads + lead]))
                    rows.append(("roc_area_gt_\(tau)", d.rocArea[k * leads + lead]))
                    rows.append(("edi_gt_\(tau)", d.edi[k * leads + lead]))
                    for level in 0...m {
                        let i = (k * leads + lead) * rankCount + level
                        rows.append(("roc_gt_\(tau)_level\(level)_hit_rate", d.hitRate[i]))
                        rows.append(("roc_gt_\(tau)_level\(level)_false_alarm_rate", d.falseAlarmRate[i]))
                    }
                }
                rows.append(("best_member_rmse", d.scalars[Self.scalarMetrics.count - 1][lead]))
                rows.append(("best_member", Double(d.best[lead])))
                for (metric, value) in rows { csv += "\(name),\(leadHours[lead]),\(metric),\(value)\n" }
            }
        }
        return csv
    }
}
