import Foundation
import Storage

extension ModelClimate {
    /// Checks that the climate file at `path` fits a run before any work: its grid and leads (where the file
    /// carries them, as `myriad climate` writes them) are the run's, and it holds a climate of at least one of
    /// the run's variables. The errors name the file and how to build a fitting one.
    public static func checkFits(path: String, variables: [String], latitudes: [Double], longitudes: [Double],
                                 leadHours: [Double]) throws {
        let file: HDF5File
        do { file = try HDF5File.open(path) } catch {
            throw StatisticsFileError(path: path, problem: "cannot open the EFI climate file (\(error)); build it with myriad climate")
        }
        try checkFits(file, path: path, variables: variables, latitudes: latitudes, longitudes: longitudes, leadHours: leadHours)
    }

    static func checkFits(_ file: HDF5File, path: String, variables: [String], latitudes: [Double], longitudes: [Double],
                          leadHours: [Double]) throws {
        func values(_ name: String) throws -> [Double]? { file.contains(name) ? try file.openDataset(name).read(Double.self) : nil }
        func differs(_ a: [Double], _ b: [Double]) -> Bool { a.count != b.count || zip(a, b).contains { abs($0 - $1) > 1e-6 } }
        if let lat = try values("lat"), let lon = try values("lon"), differs(lat, latitudes) || differs(lon, longitudes) {
            throw StatisticsFileError(path: path, problem: "the climate is on a \(lat.count) × \(lon.count) grid (lat \(lat.first ?? 0) … \(lat.last ?? 0)), the run on \(latitudes.count) × \(longitudes.count) (lat \(latitudes.first ?? 0) … \(latitudes.last ?? 0)); build the climate (myriad climate) from runs on the run's grid that write the whole globe (no output.region)")
        }
        if let leads = try values("lead_time"), differs(leads, leadHours) {
            func hours(_ x: [Double]) -> String { x.map { String(format: "%g", $0) }.joined(separator: ", ") }
            throw StatisticsFileError(path: path, problem: "the climate's lead times are [\(hours(leads))] h, the run's output leads [\(hours(leadHours))] h; build the climate from runs with the run's output.lead_hours")
        }
        guard variables.contains(where: { file.contains($0) }) else {
            let held = try file.memberNames().filter { !["lead_time", "quantile", "lat", "lon"].contains($0) }
            throw StatisticsFileError(path: path, problem: "holds the climate of \(held.joined(separator: ", ")) but of none of the variables \(variables.joined(separator: ", ")); build it (myriad climate) from runs that write these variables")
        }
    }
}
