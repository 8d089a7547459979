import Foundation

extension EnsemblePlan {
    /// Most checkpoints any group loads.
    public var maximumCheckpointsPerGroup: Int {
        (0..<groupCount).map { Set(members(ofGroup: $0).map(\.checkpoint)).count }.max() ?? 0
    }

    /// The analysis-error line of the summary (with its newline), or nothing.
    private var analysisLine: String {
        guard let error = configuration.initialConditions.analysisError else { return "" }
        let rms = error.rmse.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.4g", $0.value))" }.joined(separator: ", ")
        return "  analysis     truth + correlated error (\(String(format: "%.0f", error.lengthScaleKm)) km), RMS \(rms); scored against the truth\n"
    }

    /// What the run will do, printed by rank 0 before any work.
    public func summary(ranks: Int) -> String {
        let c = configuration
        let perturbation = c.perturbation.kind == .none ? "none"
            : "\(c.perturbation.kind.rawValue), amplitude \(c.perturbation.effectiveAmplitude)\(c.perturbation.effectiveCentredPairs ? ", centred pairs" : "")\(c.control ? ", control member" : "")"
        let selected = selection.map { " (rerunning \($0.count) of them: \($0.sorted().prefix(10).map(String.init).joined(separator: ", ")))" } ?? ""
        return """
            run: \(c.file)
              members      \(totalMembers) = \(checkpoints.isEmpty ? "1 model" : "\(checkpoints.count) checkpoint(s)") × \(initialTimes.count) initial time(s) × \(c.membersPerCheckpoint) per checkpoint\(selected)
              perturbation \(perturbation), seed \(c.seed)
            \(analysisLine)  model        \(model.modelName) on \(nlat) × \(nlon) \(grid.rawValue), \(stateChannels.count) channels, \(steps) steps of \(stepHours) h (\(c.leadHours) h)\(checkpoints.isEmpty ? "" : ", GEMMs in \(c.precision.rawValue)")
              layout       \(ranks) rank(s) = \(groupCount) ensemble group(s) × \(c.layout.size) model rank(s) \(c.layout); ≤ \(maximumMembersPerGroup) member(s) and ≤ \(maximumCheckpointsPerGroup) checkpoint(s) per group
              memory       \(memoryLine)
              output       \(c.output.members ? "\(formatBytes(outputBytes)) of members (\(outputVariables.count) variable(s), \(outputSteps.count) lead time(s), \(latitudeIndices.count) × \(longitudeIndices.count))" : "no member fields"), statistics \(c.statistics.enabled ? "on" : "off")\(c.statistics.truth.map { ", scores against \($0)" } ?? "") → \(c.output.directory)/
            """
    }
}
