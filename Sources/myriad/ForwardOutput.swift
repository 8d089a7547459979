import Foundation
import Storage

/// The file of `myriad forward`, written a step at a time — one step in memory whatever `--steps` is — under a
/// temporary name, renamed to its own when complete and removed on any failure (no half-written output).
///
/// Layout: `fields[step, channel, lat, lon]` float32 (one chunk per step), `channel` and `valid_time` string
/// datasets, attributes `checkpoint`, `input`, `index`, `initial_time`, `dhours` (docs/sfno.md).
final class ForwardOutput {
    let path: String
    private let temporary: String
    private var file: HDF5File?
    private var fields: HDF5Dataset?
    private let shape: [Int]
    private var validTimes: [String] = []
    private var finished = false

    init(path: String, steps: Int, channels: [String], nlat: Int, nlon: Int) throws {
        self.path = path
        temporary = "\(path).tmp-\(ProcessInfo.processInfo.processIdentifier)"
        shape = [steps, channels.count, nlat, nlon]
        do {
            let file = try HDF5File.create(temporary)
            try file.setAttribute("Conventions", "CF-1.8")
            let fields = try file.createDataset("fields", of: Float.self, shape: shape,
                                                options: DatasetOptions(chunks: [1, channels.count, nlat, nlon]))
            try ChannelMetadata.describe(fields, channels: channels)
            try file.createStringDataset("channel", count: channels.count).writeStrings(channels)
            (self.file, self.fields) = (file, fields)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw UsageError("cannot write '\(path)': \(error)")
        }
    }

    /// Writes step `k`: `values` `[channel][lat][lon]`, physical units.
    func write(step k: Int, _ values: [Float], validTime: String) throws {
        do {
            try fields!.write(values, offset: [k, 0, 0, 0], count: [1] + shape.dropFirst())
        } catch {
            throw UsageError("cannot write '\(path)': \(error)")
        }
        validTimes.append(validTime)
    }

    /// Writes the remaining datasets and attributes, closes and renames the file.
    func finish(attributes: [(String, String)], integers: [(String, Int64)]) throws {
        do {
            try file!.createStringDataset("valid_time", count: validTimes.count).writeStrings(validTimes)
            for (name, value) in attributes { try file!.setAttribute(name, value) }
            for (name, value) in integers { try file!.setAttribute(name, value) }
            try file!.flush()
            fields = nil
            file = nil
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: temporary, toPath: path)
            finished = true
        } catch {
            throw UsageError("cannot write '\(path)': \(error)")
        }
    }

    /// A forecast that failed leaves no file.
    deinit {
        guard !finished else { return }
        fields = nil
        file = nil
        try? FileManager.default.removeItem(atPath: temporary)
    }
}
