import Foundation

/// Writes to `path.tmp-PID` and renames: a reader never sees half a file, a failure leaves none.
func writeAtomically(_ text: String, to path: String) throws {
    let temporary = "\(path).tmp-\(ProcessInfo.processInfo.processIdentifier)"
    do {
        try text.write(toFile: temporary, atomically: false, encoding: .utf8)
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    } catch {
        try? FileManager.default.removeItem(atPath: temporary)
        throw UsageError("cannot write '\(path)': \(error.localizedDescription)")
    }
}
