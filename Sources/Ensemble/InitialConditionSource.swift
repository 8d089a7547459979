import Foundation
import Storage

/// States in the makani layout, found by valid time: one file `fields[time, channel, lat, lon]` with a
/// `data.json` beside it, or a folder of yearly files `YYYY.h5` (with `data.json` in the folder) whose time
/// index i is `YYYY-01-01T00:00Z + i·dhours`. Initial conditions and the truth both come from here.
public final class InitialConditionSource: @unchecked Sendable {
    public enum Location: Sendable { case file(String), yearlyFiles(directory: String) }

    public let location: Location
    public let metadata: MakaniMetadata?
    public let dhours: Int
    private var openFiles: [String: (file: HDF5File, fields: HDF5Dataset)] = [:]
    /// Set where the states read are true states from which an imperfect analysis is made (the runner's
    /// initial conditions); `read` then returns the analysis.
    var analysisError: AnalysisError?

    /// - dhours: hours between the file's times when data.json does not say (the model step).
    public init(location: Location, dhours fallback: Int?) throws {
        self.location = location
        switch location {
        case .file(let path):
            guard FileManager.default.fileExists(atPath: path) else {
                throw MakaniLayoutError(path, "no such file; give a makani-layout HDF5 file with fields[time, channel, lat, lon]")
            }
            metadata = try MakaniMetadata(besides: path)
        case .yearlyFiles(let directory):
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw MakaniLayoutError(directory, "no such folder; give a folder of yearly makani files YYYY.h5")
            }
            metadata = try MakaniMetadata(besides: directory)
        }
        guard let hours = metadata?.dhours ?? fallback, hours > 0 else {
            throw MakaniLayoutError(metadata?.path ?? "data.json", "the hours between the file's times are unknown; add dhours to data.json or set initial_conditions.dhours")
        }
        dhours = hours
    }

    public var description: String {
        switch location {
        case .file(let path): path
        case .yearlyFiles(let directory): "\(directory)/YYYY.h5"
        }
    }

    /// The valid time of index `i` of a single file (data.json's start_time, else the Unix epoch).
    public func time(ofIndex i: Int) -> Date {
        metadata?.validTime(index: i) ?? Date(timeIntervalSince1970: Double(i * dhours * 3600))
    }

    /// The file and time index holding the state valid at `time`.
    public func locate(_ time: Date) throws -> (path: String, index: Int) {
        switch location {
        case .file(let path):
            let base = metadata?.startTime ?? Date(timeIntervalSince1970: 0)
            let hours = time.timeIntervalSince(base) / 3600
            guard hours >= 0, hours.truncatingRemainder(dividingBy: Double(dhours)) == 0 else {
                throw MakaniLayoutError(path, "has no state valid at \(iso8601(time)): its times are \(iso8601(base)) + i × \(dhours) h")
            }
            let index = Int(hours) / dhours
            if let perTrajectory = metadata?.timesPerTrajectory, index >= perTrajectory {
                throw MakaniLayoutError(path, "has no state valid at \(iso8601(time)): its trajectories hold \(perTrajectory) times from \(iso8601(base))")
            }
            return (path, index)
        case .yearlyFiles(let directory):
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let year = calendar.component(.year, from: time)
            let start = calendar.date(from: DateComponents(year: year, month: 1, day: 1))!
            let hours = time.timeIntervalSince(start) / 3600
            let path = "\(directory)/\(year).h5"
            guard hours.truncatingRemainder(dividingBy: Double(dhours)) == 0 else {
                throw MakaniLayoutError(path, "has no state valid at \(iso8601(time)): its times are \(year)-01-01T00:00Z + i × \(dhours) h")
            }
            return (path, Int(hours) / dhours)
        }
    }

    /// The state valid at `time`, channels `channels` (by name through data.json's coords.channel, by
    /// position without it), `[channel][lat][lon]` float32; refuses missing times, wrong grids and
    /// non-finite values with the file, index and channel named.
    public func read(time: Date, channels: [String], nlat: Int, nlon: Int) throws -> [Float] {
        let (path, index) = try locate(time)
        let fields = try dataset(path)
        let shape = fields.shape
        guard shape.count == 4, shape[2] == nlat, shape[3] == nlon else {
            throw MakaniLayoutError(path, "'fields' has shape \(shape), expected [time, channel, \(nlat), \(nlon)] for the model's grid")
        }
        guard index < shape[0] else {
            throw MakaniLayoutError(path, "has \(shape[0]) times; the state valid at \(iso8601(time)) would be index \(index)")
        }
        let sources = try channelIndices(channels, fileChannels: shape[1], path: path)
        var state = [Float]()
        state.reserveCapacity(channels.count * nlat * nlon)
        for (k, c) in sources.enumerated() {
            let values = try fields.read(Float.self, offset: [index, c, 0, 0], count: [1, 1, nlat, nlon])
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw MakaniLayoutError(path, "fields[\(index), \(c)] ('\(channels[k])') is not finite at lat \(bad / nlon), lon \(bad % nlon) (\(values[bad])); give states without NaN or infinity")
            }
            state += values
        }
        analysisError?.add(to: &state, channels: channels, validTime: time)
        return state
    }

    /// Which channel of the files holds each of `names`.
    public func channelIndices(_ names: [String], fileChannels: Int, path: String) throws -> [Int] {
        guard let available = metadata?.channels else {
            guard fileChannels == names.count else {
                throw MakaniLayoutError(path, "has \(fileChannels) channels, the model needs \(names.count) (\(names.joined(separator: ", "))); without a data.json (coords.channel) channels are matched by position")
            }
            return Array(0..<names.count)
        }
        guard available.count == fileChannels else {
            throw MakaniLayoutError(metadata!.path, "coords.channel names \(available.count) channels but '\(path)' has \(fileChannels)")
        }
        return try names.map { name in
            guard let i = available.firstIndex(of: name) else {
                throw MakaniLayoutError(path, "has no channel '\(name)' (channels: \(available.joined(separator: ", "))); provide every channel the model needs")
            }
            return i
        }
    }

    /// Whether the source holds a state valid at `time` (a truth file ends somewhere: past its end there is
    /// nothing to score).
    public func has(_ time: Date) -> Bool {
        guard let (path, index) = try? locate(time), let count = (try? shapeOfFields(path))?.first else { return false }
        return index < count
    }

    /// The shape of `fields` in `path`.
    func shapeOfFields(_ path: String) throws -> [Int] { try dataset(path).shape }

    private func dataset(_ path: String) throws -> HDF5Dataset {
        if let open = openFiles[path] { return open.fields }
        guard FileManager.default.fileExists(atPath: path) else {
            throw MakaniLayoutError(path, "no such file (needed for a state of \(description))")
        }
        let file = try HDF5File.open(path)
        let fields: HDF5Dataset
        do { fields = try file.openDataset("fields") } catch {
            throw MakaniLayoutError(path, "has no dataset 'fields'; a makani-layout file holds fields[time, channel, lat, lon]")
        }
        openFiles[path] = (file, fields)
        return fields
    }
}

func iso8601(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
