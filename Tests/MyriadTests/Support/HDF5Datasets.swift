import Foundation
import Storage

/// Every numeric dataset of an HDF5 file (groups walked), by path, as the bit patterns of its values read in
/// float64 (NaNs of the same payload compare equal): two files hold the same numbers when these agree,
/// whatever their attributes.
func numericDatasets(_ path: String) throws -> [String: [UInt64]] {
    var result: [String: [UInt64]] = [:]
    func walk(_ group: HDF5Group, _ prefix: String) throws {
        for name in try group.memberNames() {
            if let dataset = try? group.openDataset(name) {
                let type = dataset.elementTypeName
                guard type.hasPrefix("float") || type.hasPrefix("int") || type.hasPrefix("uint") else { continue }
                result[prefix + name] = type == "float32"
                    ? try dataset.read(Float.self).map { UInt64($0.bitPattern) }
                    : try dataset.read(Double.self).map(\.bitPattern)
            } else {
                try walk(try group.openGroup(name), prefix + name + "/")
            }
        }
    }
    try walk(try HDF5File.open(path), "")
    return result
}
