/// One member handed to `InSituStatistics.add` by the rank that holds it.
public struct StatisticsMember: Sendable {
    /// Index of the member's initial time in `InSituStatistics.initialTimes`.
    public var timeIndex: Int
    /// Ensemble index within its initial time, `0 ..< membersPerTime`.
    public var ensembleIndex: Int
    /// [variable][lat][lon] float32, physical units, latitudes north → south.
    public var fields: [Float]
    /// false: the member went non-finite; it is left out of every statistic and score.
    public var isValid: Bool

    public init(timeIndex: Int, ensembleIndex: Int, fields: [Float], isValid: Bool = true) {
        self.timeIndex = timeIndex
        self.ensembleIndex = ensembleIndex
        self.fields = fields
        self.isValid = isValid
    }
}
