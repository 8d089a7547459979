import Foundation
import Logging
import MPI

/// swift-log handler for SPMD runs: rank 0 logs at info level; with `--verbose` every rank logs at
/// debug level with a `[rank r/n]` prefix. Lines go to standard error, results to standard output.
struct RankLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level
    let prefix: String
    let enabled: Bool

    static func bootstrap(rank: Int, size: Int, verbose: Bool) {
        LoggingSystem.bootstrap { _ in
            RankLogHandler(logLevel: verbose ? .debug : .info,
                           prefix: verbose && size > 1 ? "[rank \(rank)/\(size)] " : "",
                           enabled: verbose || rank == 0)
        }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        guard enabled else { return }
        let level = event.level >= .warning ? "\(event.level): " : ""
        writeStandardError("\(prefix)\(level)\(event.message)\n")
    }
}
