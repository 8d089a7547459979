import Foundation

/// Trajectory 0 of the demo's held-out truth (docs/demo.md), 3 days every 6 h, made once per test process
/// by `myriad swe`: initial states and truth for the runner's tests.
enum DemoStates {
    nonisolated(unsafe) private static var made: String?

    /// The path of the makani-layout file (with data.json beside it).
    static func path() throws -> String {
        if let made, FileManager.default.fileExists(atPath: made) { return made }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("myriad-demo-states-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("truth.h5").path
        try MPIJob.succeed(ranks: 1, ["swe", "--grid", "64x128", "--latitudes", "equiangular", "--initial", "random", "--seed", "2",
                                      "--trajectories", "1", "--days", "3", "--output-every", "6", "--output", path])
        made = path
        return path
    }
}
