import Foundation
import Sphere
import Storage

/// The two files of `myriad score` in the `fields` layout (docs/statistics.md), opened and checked against
/// each other, every rank alike (`ScoreInputError`): members `fields[member, time, channel, lat, lon]` and the
/// truth `fields[time ≥ …, channel, lat, lon]`, time t verifying lead t.
public struct ScoreInput {
    public let members: HDF5Dataset
    public let truthFields: HDF5Dataset
    public let shape: (members: Int, times: Int, channels: Int, nlat: Int, nlon: Int)
    public let variables: [String]
    /// Hours of each time of the members file (its `lead_time` dataset, else multiples of `stepHours`).
    public let leadTimes: [Double]
    /// Area weight of each point (its latitude's), [lat · lon]
    public let pointWeights: [Double]
    /// The members file and the truth file, as given.
    public let forecastPath: String, truthPath: String
    private let files: [HDF5File]

    /// - stepHours: hours between the members file's times when it has no `lead_time` dataset
    public init(forecast: String, truth: String, weights: AreaWeighting, stepHours: Double) throws {
        let forecastFile: HDF5File, truthFile: HDF5File
        do {
            forecastFile = try HDF5File.open(forecast)
            truthFile = try HDF5File.open(truth)
            members = try forecastFile.openDataset("fields")
            truthFields = try truthFile.openDataset("fields")
        } catch {
            throw ScoreInputError("\(error)")
        }
        files = [forecastFile, truthFile]
        (forecastPath, truthPath) = (forecast, truth)
        let s = members.shape
        guard s.count == 5 else {
            throw ScoreInputError("\(forecast): 'fields' has shape \(s); a members file needs fields[member, time, channel, lat, lon] (docs/statistics.md)")
        }
        guard s[0] >= 2 else { throw ScoreInputError("\(forecast): 'fields' has \(s[0]) member(s); scores need at least 2") }
        shape = (s[0], s[1], s[2], s[3], s[4])
        let u = truthFields.shape
        guard u.count == 4, u[0] >= s[1], u[1] == s[2], u[2] == s[3], u[3] == s[4] else {
            throw ScoreInputError("\(truth): 'fields' has shape \(u); it must be [time ≥ \(s[1]), channel \(s[2]), lat \(s[3]), lon \(s[4])] to verify \(forecast) (shape \(s))")
        }
        func strings(_ file: HDF5File) throws -> [String]? {
            guard file.contains("channels") else { return nil }
            do { return try file.openDataset("channels").readStrings() } catch { throw ScoreInputError("\(error)") }
        }
        let forecastNames = try strings(forecastFile)
        let truthNames = try strings(truthFile)
        if let forecastNames, let truthNames, forecastNames != truthNames {
            throw ScoreInputError("\(forecast) has channels \(forecastNames) but \(truth) has \(truthNames); the channels must match in order")
        }
        variables = forecastNames ?? truthNames ?? (0..<s[2]).map { "channel\($0)" }
        guard variables.count == s[2] else {
            throw ScoreInputError("\(forecast): 'channels' names \(variables.count) variables, 'fields' has \(s[2]) channels")
        }
        guard variables.allSatisfy({ !$0.contains(",") && !$0.contains("\n") }) else {
            throw ScoreInputError("\(forecast): channel names must not contain commas or newlines: \(variables)")
        }
        if forecastFile.contains("lead_time") {
            do { leadTimes = try forecastFile.openDataset("lead_time").read(Double.self) } catch { throw ScoreInputError("\(error)") }
            guard leadTimes.count == s[1] else {
                throw ScoreInputError("\(forecast): 'lead_time' has \(leadTimes.count) values, 'fields' has \(s[1]) times")
            }
        } else {
            guard stepHours > 0 else { throw ScoreInputError("--step-hours must be positive, got \(stepHours)") }
            leadTimes = (0..<s[1]).map { Double($0) * stepHours }
        }
        var latitudes: [Double]? = nil
        if weights == .cosLatitude, forecastFile.contains("lat") {
            do { latitudes = try forecastFile.openDataset("lat").read(Double.self) } catch { throw ScoreInputError("\(error)") }
        }
        let latitudeWeights = try weights.latitudeWeights(nlat: s[3], latitudes: latitudes, file: forecast)
        let nlon = s[4]
        pointWeights = (0..<(s[3] * nlon)).map { latitudeWeights[$0 / nlon] }
    }
}
