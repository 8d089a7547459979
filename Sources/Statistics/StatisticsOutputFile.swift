import Foundation
import MPI
import Storage

/// One netCDF-4 output file of `InSituStatistics` under its `.partial` name: created (every definition
/// collective) or, on resume, reopened read-write with its variables looked up by name. Definitions are
/// made through the same calls either way, so a resumed file is checked against what the run would define.
final class StatisticsOutputFile {
    let path: String
    let isNew: Bool
    private var netcdf: NetCDFFile?
    private(set) var file: HDF5File?
    private var variables: [String: HDF5Dataset] = [:]
    private var coordinates: [String: HDF5Dataset] = [:]

    /// Creates `path`, or reopens it when `resume` and it exists (rank 0 looks, every rank follows).
    init(path: String, communicator: Communicator, resume: Bool, attributes: [(String, NetCDFAttribute)]) throws {
        self.path = path
        var exists: Int64 = communicator.isRoot && resume && FileManager.default.fileExists(atPath: path) ? 1 : 0
        if communicator.size > 1 { exists = try communicator.broadcast(exists) }
        isNew = exists == 0
        if isNew {
            let created = try NetCDFFile(creating: path, communicator: communicator, attributes: attributes)
            netcdf = created
            file = created.file
        } else {
            file = try HDF5File.open(path, access: .readWrite, communicator: communicator)
        }
    }

    /// Defines dimension `name`, or on a reopened file checks that it has these values' length.
    func coordinate<T: HDF5Scalar>(_ name: String, values: [T], attributes: [(String, NetCDFAttribute)] = []) throws {
        if let netcdf {
            try netcdf.defineCoordinate(name, values: values, attributes: attributes)
            return
        }
        let dataset = try file!.openDataset(name)
        guard dataset.shape == [values.count] else {
            throw StatisticsFileError(path: path, problem: "dimension \(name) has \(dataset.shape) values, this run has \(values.count); "
                                      + "it was written by a different run: remove it or start without resume")
        }
        coordinates[name] = dataset
    }

    /// Defines a variable, or on a reopened file opens it (checking its shape).
    func variable<T: HDF5Scalar>(_ name: String, of type: T.Type, dimensions: [String], fillValue: T,
                                 fillAttribute: Bool = true, attributes: [(String, NetCDFAttribute)] = []) throws {
        if let netcdf {
            let chunks = dimensions.count >= 2 && dimensions.suffix(2) == ["lat", "lon"]
                ? dimensions.dropLast(2).map { _ in 1 } + [netcdf.length(of: "lat")!, netcdf.length(of: "lon")!] : nil
            variables[name] = try netcdf.defineVariable(name, of: T.self, dimensions: dimensions, fillValue: fillValue,
                                                        fillAttribute: fillAttribute, options: DatasetOptions(chunks: chunks), attributes: attributes)
            return
        }
        let dataset = try file!.openDataset(name)
        let expected = try dimensions.map { d -> Int in
            guard let c = coordinates[d] else { throw StatisticsFileError(path: path, problem: "no dimension \(d) for \(name)") }
            return c.shape[0]
        }
        guard dataset.shape == expected else {
            throw StatisticsFileError(path: path, problem: "variable \(name) has shape \(dataset.shape), this run needs \(expected); "
                                      + "remove the file or start without resume")
        }
        variables[name] = dataset
    }

    /// Collective write of a hyperslab (empty on ranks with nothing to write).
    func write<T: HDF5Scalar>(_ name: String, _ values: [T], offset: [Int], count: [Int]) throws {
        guard let dataset = variables[name] else { preconditionFailure("StatisticsOutputFile: no variable \(name)") }
        try dataset.write(values, offset: offset, count: count, transfer: file!.communicator == nil ? .independent : .collective)
    }

    /// Collective write by rank 0 alone (`values` ignored elsewhere).
    func writeFromRoot<T: HDF5Scalar>(_ name: String, _ values: [T], offset: [Int], count: [Int], isRoot: Bool) throws {
        try write(name, isRoot ? values : [], offset: offset, count: isRoot ? count : count.map { _ in 0 })
    }

    func has(_ name: String) -> Bool { variables[name] != nil }

    /// Releases the variables, then the file (collective under MPI-IO).
    func close() {
        variables.removeAll()
        coordinates.removeAll()
        netcdf = nil
        file = nil
    }
}

/// A problem with an output or climate file of the statistics, naming the file and the fix.
/// `SameOnEveryRank`: every rank opens the same files collectively (or reads the same climate file) and checks
/// them alike; a failure of rank 0 alone while finishing is shared first (`InSituStatistics.finish`).
public struct StatisticsFileError: SameOnEveryRank {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}
