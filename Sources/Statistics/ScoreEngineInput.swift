import Foundation
import Sphere
import Storage

/// What `myriad score` feeds `InSituStatistics` from a members file of either layout (docs/statistics.md):
///
/// - `runner`: the runner's netCDF file, `<name>[ensemble, time, lead_time, lat, lon]` float32 per variable,
///   coordinates `time` (hours since the epoch), `lead_time` (hours), `lat`, `lon`, and `member_valid[ensemble,
///   time]` (0: left out). The truth (makani layout) is matched through the `data.json` beside it: channels by
///   name (`coords.channel`), the verifying index `(initial time + lead − start_time) / dhours`.
/// - `fields`: `fields[member, time, channel, lat, lon]`, one initial time (the epoch) whose time axis is the
///   lead; truth time t verifies lead t, channels in order.
///
/// Every check is made alike on every rank (`ScoreInputError`).
public struct ScoreEngineInput {
    /// The layout of a members file.
    public enum Layout: String, CaseIterable, Sendable { case runner, fields }

    public let layout: Layout
    public let variables: [String]
    public let nlat: Int, nlon: Int
    public let latitudes: [Double], longitudes: [Double]
    public let initialTimes: [Date]
    public let leadHours: [Double]
    public let membersPerTime: Int
    private let forecastFile: HDF5File
    private let truthFile: HDF5File
    private let truthFields: HDF5Dataset
    private var datasets: [HDF5Dataset] = []
    private var valid: [Int32] = []  // [ensemble][time]
    /// Truth channel of each variable.
    private let truthChannels: [Int]
    /// Truth time index of (initial time, lead), or nil.
    private let truthIndex: (Int, Int) -> Int?

    /// The layout of the members file at `path`, from the datasets it holds.
    public static func detect(_ path: String) throws -> Layout {
        let file: HDF5File
        do { file = try HDF5File.open(path) } catch { throw ScoreInputError("\(error)") }
        if file.contains("fields") { return .fields }
        if file.contains("member_valid") || file.contains("ensemble") { return .runner }
        throw ScoreInputError("\(path): neither a 'fields' dataset (fields layout) nor 'ensemble'/'member_valid' (runner layout); see docs/statistics.md")
    }

    public init(forecast: String, truth: String, layout: Layout, stepHours: Double) throws {
        self.layout = layout
        let forecastFile: HDF5File, truthFile: HDF5File
        do {
            forecastFile = try HDF5File.open(forecast)
            truthFile = try HDF5File.open(truth)
            truthFields = try truthFile.openDataset("fields")
        } catch { throw ScoreInputError("\(error)") }
        self.forecastFile = forecastFile
        self.truthFile = truthFile
        let u = truthFields.shape
        guard u.count == 4 else { throw ScoreInputError("\(truth): 'fields' has shape \(u); the truth needs fields[time, channel, lat, lon]") }
        func doubles(_ name: String) throws -> [Double]? {
            guard forecastFile.contains(name) else { return nil }
            do { return try forecastFile.openDataset(name).read(Double.self) } catch { throw ScoreInputError("\(error)") }
        }
        switch layout {
        case .fields:
            let input = try ScoreInput(forecast: forecast, truth: truth, weights: .equiangular, stepHours: stepHours)
            let s = input.shape
            variables = input.variables
            (nlat, nlon, membersPerTime) = (s.nlat, s.nlon, s.members)
            latitudes = try doubles("lat") ?? (0..<s.nlat).map { 90 - 180 * Double($0) / Double(max(s.nlat - 1, 1)) }
            longitudes = (0..<s.nlon).map { 360 * Double($0) / Double(s.nlon) }
            initialTimes = [Date(timeIntervalSince1970: 0)]
            leadHours = input.leadTimes
            datasets = [input.members]
            truthChannels = Array(0..<s.channels)
            truthIndex = { _, lead in lead }
        case .runner:
            guard let times = try doubles("time"), let leads = try doubles("lead_time"), let lat = try doubles("lat"),
                  let lon = try doubles("lon"), forecastFile.contains("ensemble") else {
                throw ScoreInputError("\(forecast): a runner members file needs the coordinates ensemble, time, lead_time, lat and lon")
            }
            let ensemble: Int
            do { ensemble = try forecastFile.openDataset("ensemble").shape[0] } catch { throw ScoreInputError("\(error)") }
            let coordinates: Set = ["ensemble", "time", "lead_time", "lat", "lon", "member_valid"]
            var names = [String](), found = [HDF5Dataset]()
            do {
                for name in try forecastFile.memberNames() where !coordinates.contains(name) {
                    let dataset = try forecastFile.openDataset(name)
                    guard dataset.shape == [ensemble, times.count, leads.count, lat.count, lon.count] else { continue }
                    names.append(name)
                    found.append(dataset)
                }
            } catch { throw ScoreInputError("\(error)") }
            guard !names.isEmpty else {
                throw ScoreInputError("\(forecast): no variable <name>[ensemble \(ensemble), time \(times.count), lead_time \(leads.count), lat \(lat.count), lon \(lon.count)]")
            }
            guard ensemble >= 2 else { throw ScoreInputError("\(forecast): \(ensemble) member(s); scores need at least 2") }
            guard names.allSatisfy({ !$0.contains(",") && !$0.contains("\n") }) else {
                throw ScoreInputError("\(forecast): variable names must not contain commas or newlines: \(names)")
            }
            variables = names
            datasets = found
            (nlat, nlon, membersPerTime) = (lat.count, lon.count, ensemble)
            (latitudes, longitudes, leadHours) = (lat, lon, leads)
            initialTimes = times.map { Date(timeIntervalSince1970: $0 * 3600) }
            if forecastFile.contains("member_valid") {
                do { valid = try forecastFile.openDataset("member_valid").read(Int32.self) } catch { throw ScoreInputError("\(error)") }
                guard valid.count == ensemble * times.count else {
                    throw ScoreInputError("\(forecast): member_valid has \(valid.count) values, expected ensemble \(ensemble) × time \(times.count)")
                }
            }
            // data.json beside the truth: channel names, start_time, dhours.
            let json = URL(fileURLWithPath: truth).deletingLastPathComponent().appendingPathComponent("data.json").path
            guard let data = FileManager.default.contents(atPath: json),
                  let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ScoreInputError("\(truth): the runner layout matches the truth by time and channel name through \(json), which is missing or not JSON")
            }
            guard let channels = (document["coords"] as? [String: Any])?["channel"] as? [String],
                  let dhours = (document["dhours"] as? NSNumber)?.doubleValue, dhours > 0,
                  let startText = document["start_time"] as? String, let start = parseTime(startText) else {
                throw ScoreInputError("\(json): needs coords.channel (names), dhours (> 0) and start_time (ISO 8601)")
            }
            guard channels.count == u[1] else { throw ScoreInputError("\(json): \(channels.count) channel names, \(truth) has \(u[1]) channels") }
            truthChannels = try names.map { name in
                guard let c = channels.firstIndex(of: name) else {
                    throw ScoreInputError("\(truth): no channel '\(name)' in \(json) coords.channel \(channels)")
                }
                return c
            }
            let startHours = start.timeIntervalSince1970 / 3600
            let available = u[0]
            truthIndex = { t, lead in
                let position = (times[t] + leads[lead] - startHours) / dhours
                let k = Int(position.rounded())
                return abs(position - Double(k)) < 1e-9 && k >= 0 && k < available ? k : nil
            }
        }
        guard u[2] == nlat && u[3] == nlon else {
            throw ScoreInputError("\(truth): 'fields' has shape \(u); its grid must be \(nlat) × \(nlon) to verify \(forecast)")
        }
    }

    /// Area weight of each point, [lat · lon].
    public func pointWeights(_ weights: AreaWeighting) throws -> [Double] {
        let latitudeWeights = try weights.latitudeWeights(nlat: nlat, latitudes: latitudes, file: forecastFile.filePath)
        return (0..<(nlat * nlon)).map { latitudeWeights[$0 / nlon] }
    }

    /// Members `range` of every initial time at `lead`, as this rank passes them to the engine.
    public func members(_ range: Range<Int>, lead: Int) throws -> [StatisticsMember] {
        let n = nlat * nlon
        var result = [StatisticsMember]()
        for t in initialTimes.indices {
            var fields = [[Float]](repeating: [], count: range.count)
            for (v, _) in variables.enumerated() {
                let values: [Float]
                switch layout {
                case .fields: values = try datasets[0].read(Float.self, offset: [range.lowerBound, lead, v, 0, 0], count: [range.count, 1, 1, nlat, nlon])
                case .runner: values = try datasets[v].read(Float.self, offset: [range.lowerBound, t, lead, 0, 0], count: [range.count, 1, 1, nlat, nlon])
                }
                for k in 0..<range.count { fields[k] += values[(k * n)..<((k + 1) * n)] }
            }
            for (k, e) in range.enumerated() {
                let isValid = valid.isEmpty || valid[e * initialTimes.count + t] != 0
                result.append(StatisticsMember(timeIndex: t, ensembleIndex: e, fields: fields[k], isValid: isValid))
            }
        }
        return result
    }

    /// The verifying fields [variable][lat][lon] of initial time t at `lead`, or nil when the truth file has none.
    public func truth(time t: Int, lead: Int) throws -> [Float]? {
        guard let k = truthIndex(t, lead) else { return nil }
        var field = [Float]()
        for c in truthChannels { field += try truthFields.read(Float.self, offset: [k, c, 0, 0], count: [1, 1, nlat, nlon]) }
        let bad = field.lazy.filter { !$0.isFinite }.count
        guard bad == 0 else {
            throw ScoreInputError("\(truthFile.filePath): \(bad) non-finite value(s) in the truth at time index \(k) (initial time \(t), lead \(leadHours[lead]) h); give a truth without NaN or infinity")
        }
        return field
    }
}

private func parseTime(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    return formatter.date(from: text) ?? formatter.date(from: text + "Z")
}
