import Storage

extension InSituStatistics {
    /// `scores.csv` from scores.h5: `variable,lead_time,metric,value`, lead by lead (completed ones) and
    /// variable by variable, the rows of `ScoreDescriptor.csvRows` — those `myriad score --output` writes.
    func scoresCSV(fromScoresFile path: String) throws -> String {
        let file = try HDF5File.open(path)
        let completed = try file.openDataset("completed").read(Int32.self)
        let leads = leadHours.count
        // Per variable, every score of the CSV over all initial times, whole, as float64 (counts are exact).
        var data: [String: [String: [Double]]] = [:]
        for name in variables {
            let hasThresholds = !(settings.thresholds[name] ?? []).isEmpty
            for d in ScoreDescriptor.table where d.overall && (d.csv != nil || d.name == "members") && (hasThresholds || !d.axis.hasThreshold) {
                data[name, default: [:]][d.name] = try file.openDataset(d.variableName(name, perTime: false)).read(Double.self)
            }
        }
        var csv = "variable,lead_time,metric,value\n"
        for lead in 0..<leads where completed[lead] == 1 {
            for name in variables {
                let values = data[name]!
                let m = Int(values["members"]![lead])
                guard m > 0 else { continue }
                let rows = ScoreDescriptor.csvRows(thresholds: settings.thresholds[name] ?? [], memberCount: m) { d, k, i in
                    // [threshold][lead][inner] as laid out in the file (inner: the file's E + 1 levels or ranks, or the bins)
                    values[d.name]![(k * leads + lead) * d.innerCount(memberCount: membersPerTime, ensembleSize: membersPerTime) + i]
                }
                for (metric, value) in rows { csv += "\(name),\(leadHours[lead]),\(metric),\(value)\n" }
            }
        }
        return csv
    }
}
