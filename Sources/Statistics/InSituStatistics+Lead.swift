import MPI
import Sphere

/// The work of one `InSituStatistics.add` call: per initial time the transposes, slab statistics and
/// their writes; at the end the scores' reduction and writes.
struct LeadAccumulator {
    let lead: Int
    let owner: InSituStatistics
    /// This rank's valid members, in the order their codes were gathered.
    let valid: [StatisticsMember]
    /// [time][rank] → the ensemble indices each rank holds of that time, in its order.
    let holders: [[[Int]]]
    /// (time, ensemble index) of every rank's valid members, rank by rank, each rank's in its own order
    /// (the order of the gathered member errors).
    let codes: [(time: Int, index: Int)]
    /// Local, unreduced verification sums of each (time, variable) with a truth, in (time, variable) order.
    private var summaries: [(time: Int, variable: Int, summary: VerificationSummary, sizes: EnsembleSizeSummary)] = []
    /// Per initial time with a truth: its valid ensemble indices (ascending) and the positions among them of
    /// each sub-ensemble (`EnsembleSizeSummary.subsample`), the same on every rank.
    private var subsamples: [Int: (valid: [Int], positions: [[Int]])] = [:]
    /// Weighted mean squared error of each local valid member and variable, [member][variable]; NaN: none.
    private var errors: [Double]

    private var communicator: Communicator { owner.communicator }
    private var isRoot: Bool { owner.communicator.isRoot }

    init(lead: Int, owner: InSituStatistics, valid: [StatisticsMember], holders: [[[Int]]], codes: [(time: Int, index: Int)]) {
        self.codes = codes
        self.lead = lead
        self.owner = owner
        self.valid = valid
        self.holders = holders
        errors = [Double](repeating: .nan, count: valid.count * owner.variables.count)
    }

    // MARK: - One initial time

    mutating func addTime(_ t: Int, truth: (Int) throws -> [Float]?) throws {
        let variableCount = owner.variables.count
        let n = owner.nlat * owner.nlon
        let mine = valid.indices.filter { valid[$0].timeIndex == t }
        let m = holders[t].reduce(0) { $0 + $1.count }
        var field = owner.settings.scores ? try truth(t) : nil
        if let field {
            precondition(field.count == variableCount * n, "InSituStatistics.add: truth of time \(t) has \(field.count) values, expected \(variableCount) × \(n)")
        }
        if owner.settings.scores && communicator.size > 1 {
            let everywhere = try communicator.allreduced(Int64(field == nil ? 0 : 1), .min)
            if everywhere == 0 { field = nil }
        }
        try owner.statisticsFile?.writeFromRoot("members", [Int32(m)], offset: [t, lead], count: [1, 1], isRoot: isRoot)
        if field != nil {
            try owner.scoresFile?.writeFromRoot("members_by_time", [Int32(m)], offset: [t, lead], count: [1, 1], isRoot: isRoot)
        }
        guard m >= 2 else { return }  // statistics need two members: the time stays at the fill value

        let transpose = IndexedEnsembleTranspose(indices: holders[t], rank: communicator.rank, nlat: owner.nlat, nlon: owner.nlon)
        if field != nil {
            let valid = holders[t].flatMap { $0 }.sorted()
            subsamples[t] = (valid, EnsembleSizeSummary.sizes(upTo: owner.membersPerTime).map {
                EnsembleSizeSummary.subsample(size: $0, time: t, ensembleSize: owner.membersPerTime, valid: valid, seed: owner.settings.seed)
            })
        }
        let slab = transpose.localPoints
        for v in 0..<variableCount {
            var local = [Float]()
            local.reserveCapacity(mine.count * n)
            for i in mine { local += valid[i].fields[(v * n)..<((v + 1) * n)] }
            let slabMembers = try local.withUnsafeBufferPointer { try transpose.forward($0, over: communicator) }
            // after this: [slab point][member], all m valid members of time t in ensemble-index order
            let configuration = owner.settings.configuration(for: owner.variables[v])
            let statistics: SlabStatistics
            if let field {
                let slabTruth = Array(field[(v * n + slab.lowerBound)..<(v * n + slab.upperBound)])
                let slabWeights = Array(owner.pointWeights[slab])
                let scores = slabMembers.withUnsafeBufferPointer { x in
                    slabTruth.withUnsafeBufferPointer { y in
                        SlabScores(members: x, truth: y, memberCount: m, firstPoint: slab.lowerBound, lead: lead,
                                   variable: t * variableCount + v, configuration: configuration)
                    }
                }
                var summary = VerificationSummary(memberCount: m, thresholdCount: configuration.thresholds.count)
                slabTruth.withUnsafeBufferPointer { y in
                    slabWeights.withUnsafeBufferPointer { w in
                        summary.add(scores, truth: y, pointWeights: w)
                        slabMembers.withUnsafeBufferPointer { summary.addEnergy(members: $0, truth: y, pointWeights: w) }
                    }
                }
                var sizes = EnsembleSizeSummary(ensembleSize: owner.membersPerTime)
                slabMembers.withUnsafeBufferPointer { x in
                    slabTruth.withUnsafeBufferPointer { y in
                        slabWeights.withUnsafeBufferPointer { w in
                            sizes.add(members: x, memberCount: m, truth: y, pointWeights: w, subsamples: subsamples[t]!.positions, whole: scores)
                        }
                    }
                }
                summaries.append((t, v, summary, sizes))
                let truthField = Array(field[(v * n)..<((v + 1) * n)])
                let mse = BestMember.meanSquaredErrors(local, truth: truthField, pointWeights: owner.pointWeights)
                for (k, i) in mine.enumerated() { errors[i * variableCount + v] = mse[k] }
                statistics = scores.statistics
            } else if owner.settings.statistics {
                statistics = slabMembers.withUnsafeBufferPointer { SlabStatistics(members: $0, memberCount: m, configuration: configuration) }
            } else {
                continue
            }
            if owner.statisticsFile != nil {
                try writeStatistics(statistics, slabMembers: slabMembers, time: t, variable: v, transpose: transpose)
            }
        }
        if let sht = owner.sht { try writeMemberSpectra(time: t, mine: mine, sht: sht) }
    }

    private func writeStatistics(_ s: SlabStatistics, slabMembers: [Float], time t: Int, variable v: Int,
                                 transpose: IndexedEnsembleTranspose) throws {
        guard let file = owner.statisticsFile else { return }
        let name = owner.variables[v]
        let rows = transpose.localRows
        let nlon = owner.nlon
        let offset = [t, lead, rows.lowerBound, 0], count = [1, 1, rows.count, nlon]
        for d in StatisticDescriptor.table where owner.hasStatistic(d, variable: v) {
            guard let value = d.value else { continue }
            let layers = d.axis == .field ? [] : [d.axis == .thresholdField ? (owner.settings.thresholds[name] ?? []).count : owner.settings.quantileLevels.count]
            try file.write(d.variableName(name), value(s).map { Float($0) }, offset: layers.map { _ in 0 } + offset, count: layers + count)
        }
        if let climate = owner.climate[v], let efi = owner.settings.extremeForecastIndex {
            let q = climate.quantiles
            let values: [Double] = climate.perLead
                ? try climate.dataset.read(Double.self, offset: [lead, 0, rows.lowerBound, 0], count: [1, q, rows.count, nlon])
                : try climate.dataset.read(Double.self, offset: [0, rows.lowerBound, 0], count: [q, rows.count, nlon])
            let points = rows.count * nlon
            let m = s.memberCount
            var sorted = [Double](repeating: 0, count: m), column = [Double](repeating: 0, count: q)
            var index = [Float](repeating: .nan, count: points)
            for p in 0..<points {
                for i in 0..<m { sorted[i] = Double(slabMembers[p * m + i]) }
                sorted.sort()
                for j in 0..<q { column[j] = values[j * points + p] }
                index[p] = Float(sorted.withUnsafeBufferPointer { x in
                    column.withUnsafeBufferPointer {
                        ExtremeForecastIndex.efi(sortedMembers: x, climate: $0, coefficients: climate.coefficients, eps: efi.eps)
                    }
                })
            }
            try file.write(StatisticDescriptor.efi.variableName(name), index, offset: offset, count: count)
        }
        if let sht = owner.sht {
            // The spectrum of the ensemble mean: the mean's rows gathered on rank 0 (float64, as computed).
            let mean = communicator.size > 1 ? try communicator.gatherv(s.mean).values : s.mean
            let spectrum = isRoot ? EnsembleSpectra.spectrum(of: mean, sht: sht) : []
            try file.writeFromRoot(StatisticDescriptor.spectrumMean.variableName(name), spectrum, offset: [t, lead, 0], count: [1, 1, sht.lmax], isRoot: isRoot)
        }
    }

    /// Each member's spectrum where it is; rank 0 sums them in ensemble-index order (layout-independent).
    private func writeMemberSpectra(time t: Int, mine: [Int], sht: RealSHT<Double>) throws {
        guard let file = owner.statisticsFile else { return }
        let variableCount = owner.variables.count
        let n = owner.nlat * owner.nlon
        let lmax = sht.lmax
        var local = [Double]()
        local.reserveCapacity(mine.count * variableCount * lmax)
        for i in mine {
            for v in 0..<variableCount {
                local += EnsembleSpectra.spectrum(of: valid[i].fields[(v * n)..<((v + 1) * n)].map(Double.init), sht: sht)
            }
        }
        let all = communicator.size > 1 ? try communicator.gatherv(local).values : local
        var means = [[Double]](repeating: [], count: variableCount)
        if isRoot {
            // (ensemble index, position in `all`), summed ascending by index
            var order = [(index: Int, position: Int)]()
            for indices in holders[t] { for index in indices { order.append((index, order.count)) } }
            order.sort { $0.index < $1.index }
            for v in 0..<variableCount {
                var sum = [Double](repeating: 0, count: lmax)
                for member in order {
                    let base = (member.position * variableCount + v) * lmax
                    for l in 0..<lmax { sum[l] += all[base + l] }
                }
                means[v] = sum.map { $0 / Double(order.count) }
            }
        }
        for v in 0..<variableCount {
            try file.writeFromRoot(StatisticDescriptor.spectrumMembers.variableName(owner.variables[v]), means[v], offset: [t, lead, 0], count: [1, 1, lmax], isRoot: isRoot)
        }
    }

    // MARK: - Scores of the lead

    /// Every score of one variable from the table (`ScoreDescriptor`): over all initial times (`time` nil) or
    /// of one initial time (`_by_time`); for a threshold axis each threshold, for an inner axis the summary's
    /// levels, ranks or bins (the file's levels and ranks above this summary's M keep their fill value).
    private func writeScores(_ scores: ScoreValues, variable: String, thresholdCount: Int, time: Int?) throws {
        guard let file = owner.scoresFile else { return }
        for d in ScoreDescriptor.table where (time == nil ? d.overall : d.perTime) && (thresholdCount > 0 || !d.axis.hasThreshold) {
            let values = d.values(scores, thresholdCount: thresholdCount)
            var offset = time.map { [$0, lead] } ?? [lead]
            var count = offset.map { _ in 1 }
            if d.axis.hasThreshold { (offset, count) = ([0] + offset, [thresholdCount] + count) }
            if d.axis != .none && d.axis != .threshold { (offset, count) = (offset + [0], count + [d.innerCount(scores)]) }
            let name = d.variableName(variable, perTime: time != nil)
            switch d.storage {
            case .double: try file.writeFromRoot(name, values, offset: offset, count: count, isRoot: isRoot)
            case .int32: try file.writeFromRoot(name, values.map { Int32($0) }, offset: offset, count: count, isRoot: isRoot)
            case .int64: try file.writeFromRoot(name, values.map { Int64($0) }, offset: offset, count: count, isRoot: isRoot)
            }
        }
    }

    mutating func conclude() throws {
        try owner.statisticsFile?.writeFromRoot("completed", [Int32(1)], offset: [lead], count: [1], isRoot: isRoot)
        guard let file = owner.scoresFile else { return }
        if communicator.size > 1 && !summaries.isEmpty {
            // after this: every summary holds the sums over all ranks' slabs
            let all = try communicator.allreduced(summaries.flatMap { $0.summary.sums + $0.sizes.sums }, .sum)
            var offset = 0
            for k in summaries.indices {
                let count = summaries[k].summary.sums.count
                summaries[k].summary.sums = Array(all[offset..<(offset + count)])
                offset += count
                let sizes = summaries[k].sizes.sums.count
                summaries[k].sizes.sums = Array(all[offset..<(offset + sizes)])
                offset += sizes
            }
        }
        let variableCount = owner.variables.count
        let e = owner.membersPerTime
        // Every rank's member errors, in the gathered (rank, local) order of the codes.
        let allErrors = communicator.size > 1 ? try communicator.allgatherv(errors).values : errors
        for v in 0..<variableCount {
            let mine = summaries.filter { $0.variable == v }
            guard let largest = mine.map({ $0.summary.memberCount }).max() else { continue }
            let name = owner.variables[v]
            let thresholds = owner.settings.thresholds[name] ?? []
            var total = VerificationSummary(memberCount: largest, thresholdCount: thresholds.count)
            var totalSizes = EnsembleSizeSummary(ensembleSize: e)
            // Best member: per time the first least error by index; over times the least mean error.
            var errorSum = [Double](repeating: 0, count: e), errorCount = [Int](repeating: 0, count: e)
            var energySum = 0.0  // the lead's energy score: the mean of the per-time scores
            for entry in mine {
                let t = entry.time
                total.accumulate(entry.summary)
                energySum += entry.summary.energyScore
                var best: (index: Int, error: Double)? = nil
                var memberErrors: [Int: Double] = [:]
                for (k, code) in codes.enumerated() where code.time == t {
                    let error = allErrors[k * variableCount + v]
                    guard !error.isNaN else { continue }
                    memberErrors[code.index] = error
                    errorSum[code.index] += error
                    errorCount[code.index] += 1
                    if best == nil || error < best!.error || (error == best!.error && code.index < best!.index) { best = (code.index, error) }
                }
                var sizes = entry.sizes
                sizes.addBestMembers(subsamples: subsamples[t]!.positions, valid: subsamples[t]!.valid, errors: memberErrors)
                totalSizes.accumulate(sizes)
                try writeScores(ScoreValues(summary: entry.summary, energyScore: entry.summary.energyScore,
                                            bestMember: best.map { ($0.index, $0.error.squareRoot()) }, ensembleSize: sizes),
                                variable: name, thresholdCount: thresholds.count, time: t)
            }
            var best: (index: Int, error: Double)? = nil
            for index in 0..<e where errorCount[index] > 0 {
                let error = errorSum[index] / Double(errorCount[index])
                if best == nil || error < best!.error { best = (index, error) }
            }
            try writeScores(ScoreValues(summary: total, energyScore: energySum / Double(mine.count),
                                        bestMember: best.map { ($0.index, $0.error.squareRoot()) }, ensembleSize: totalSizes),
                            variable: name, thresholdCount: thresholds.count, time: nil)
        }
        // The energy score of all written variables together, per time with a truth and over those times.
        var jointSum = 0.0, jointTimes = 0
        for t in Set(summaries.map(\.time)).sorted() {
            let score = VerificationSummary.jointEnergyScore(summaries.filter { $0.time == t }.map(\.summary))
            try file.writeFromRoot("energy_score_by_time", [score], offset: [t, lead], count: [1, 1], isRoot: isRoot)
            jointSum += score
            jointTimes += 1
        }
        if jointTimes > 0 {
            try file.writeFromRoot("energy_score", [jointSum / Double(jointTimes)], offset: [lead], count: [1], isRoot: isRoot)
        }
        try file.writeFromRoot("completed", [Int32(1)], offset: [lead], count: [1], isRoot: isRoot)
    }
}
