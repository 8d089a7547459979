import Foundation
import Logging
import MPI

/// swift-log handler for SPMD runs: rank 0 logs at info level, every rank its warnings and errors; with
/// `--verbose` every rank logs at debug level. Lines from ranks other than 0 carry a `[rank r/n]` prefix.
/// Lines go to standard error, results to standard output.
struct RankLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level
    let prefix: String
    let enabled: Bool
    let warningPrefix: String

    static func bootstrap(rank: Int, size: Int, verbose: Bool) {
        LoggingSystem.bootstrap { _ in
            RankLogHandler(logLevel: verbose ? .debug : .info,
                           prefix: verbose && size > 1 ? "[rank \(rank)/\(size)] " : "",
                           enabled: verbose || rank == 0,
                           warningPrefix: size > 1 ? "[rank \(rank)/\(size)] " : "")
        }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let warning = event.level >= .warning
        guard enabled || warning else { return }
        let level = warning ? "\(event.level): " : ""
        writeStandardError("\(warning && prefix.isEmpty ? warningPrefix : prefix)\(level)\(event.message)\n")
    }
}
