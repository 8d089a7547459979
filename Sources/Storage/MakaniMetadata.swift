import Foundation

/// The parts of a makani `data.json` (the metadata beside a makani-layout file or folder) that Myriad uses.
public struct MakaniMetadata: Sendable {
    public let path: String
    /// coords.channel: the channel names, in the order of the file's channel axis.
    public let channels: [String]?
    public let startTime: Date?
    public let dhours: Int?
    /// `myriad swe` files hold several trajectories one after another, this many times each.
    public let timesPerTrajectory: Int?
    /// coords.lat, coords.lon in degrees, when given.
    public let latitudes: [Double]?
    public let longitudes: [Double]?
    /// coords.grid_type (`equiangular`, `legendre-gauss`), when given.
    public let gridType: String?
    /// The numeric entries of attrs (`myriad swe` records its solver's settings there).
    public let numericAttributes: [String: Double]

    /// The data.json in the directory of `file` (or in `file` itself when it is a directory), or nil if
    /// there is none.
    public init?(besides file: String) throws {
        var isDirectory: ObjCBool = false
        let base = URL(fileURLWithPath: file)
        let folder = FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) && isDirectory.boolValue
            ? base : base.deletingLastPathComponent()
        let path = folder.appendingPathComponent("data.json").path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        self.path = path
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw MakaniLayoutError(path, "is not valid JSON: \(error.localizedDescription)")
        }
        guard let document = object as? [String: Any] else { throw MakaniLayoutError(path, "is not a JSON object") }
        let coords = document["coords"] as? [String: Any]
        if let names = coords?["channel"] {
            guard let strings = names as? [String] else { throw MakaniLayoutError(path, "coords.channel is not a list of names") }
            channels = strings
        } else {
            channels = nil
        }
        gridType = coords?["grid_type"] as? String
        numericAttributes = ((document["attrs"] as? [String: Any]) ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        latitudes = (coords?["lat"] as? [NSNumber])?.map(\.doubleValue)
        longitudes = (coords?["lon"] as? [NSNumber])?.map(\.doubleValue)
        startTime = (document["start_time"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) }
        dhours = document["dhours"] as? Int
        timesPerTrajectory = document["times_per_trajectory"] as? Int
    }

    /// `start_time + (index mod times_per_trajectory) · dhours`, when data.json has both.
    public func validTime(index: Int) -> Date? {
        guard let startTime, let dhours else { return nil }
        let k = timesPerTrajectory.map { index % max($0, 1) } ?? index
        return startTime.addingTimeInterval(Double(k * dhours * 3600))
    }

    /// The index of the first trajectory's state valid at `time`, when it falls on the file's time axis.
    public func index(of time: Date) -> Int? {
        guard let startTime, let dhours, dhours > 0 else { return nil }
        let hours = time.timeIntervalSince(startTime) / 3600
        guard hours >= 0, hours.truncatingRemainder(dividingBy: Double(dhours)) == 0 else { return nil }
        let index = Int(hours) / dhours
        if let perTrajectory = timesPerTrajectory, index >= perTrajectory { return nil }
        return index
    }
}

/// A problem with makani-layout metadata or files, naming the file.
public struct MakaniLayoutError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let problem: String
    public init(_ file: String, _ problem: String) {
        self.file = file
        self.problem = problem
    }
    public var description: String { "\(file): \(problem)" }
}
