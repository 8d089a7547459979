import ArgumentParser
import Foundation
import MPI

/// `myriad selftest SUITE`: checks run on every rank of a real MPI job, launched by the test suite
/// with `mpirun -np N` (N = 1, 2, 4). All ranks agree on pass/fail before exiting; rank 0 prints.
struct SelfTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Run an MPI self-test suite on every rank (used by the test suite).",
        shouldDisplay: false)

    enum Suite: String, ExpressibleByArgument, CaseIterable {
        case collectives, transpose, grid, hdf5, sht, sfno, statistics, fail
        case statisticsInSitu = "statistics-insitu"
    }

    @Argument(help: "collectives | transpose | grid | hdf5 | sht | sfno | statistics | statistics-insitu | fail")
    var suite: Suite

    @Option(name: .long, help: "Model layout for the grid, sht and sfno suites.", transform: ModelLayout.init(parsing:))
    var layout = ModelLayout()

    @Option(name: .long, help: "Folder for the files the hdf5 suite writes.")
    var directory: String = FileManager.default.temporaryDirectory.path

    @Option(name: .long, help: "Reference file of the statistics suite (Tests/MyriadTests/Fixtures/scores/scores.h5).")
    var fixture: String = "Tests/MyriadTests/Fixtures/scores/scores.h5"

    @Option(name: .long, help: "sfno: the checkpoint to run serially and model-parallel.")
    var checkpoint = "Tests/MyriadTests/Fixtures/sfno/th-sfno-eq33x64.h5"

    @Option(name: .long, help: "sfno: autoregressive steps to compare.")
    var steps = 2

    @Flag(name: .long, help: "sfno: check members in batches instead (B = 1, 3, 8 against single members, bit for bit, on this layout).")
    var memberBatches = false

    @Option(name: .long, help: "Fixture case of the statistics-insitu suite.")
    var fixtureCase = "m50"

    @Option(name: .long, help: "statistics-insitu: ensemble indices of time 0 passed as invalid (comma-separated).")
    var invalid = ""

    @Option(name: .long, help: "statistics-insitu: ensemble indices of time 0 not passed at all (comma-separated).")
    var drop = ""

    @Option(name: .long, help: "statistics-insitu: first lead index to add.")
    var firstLead = 0

    @Option(name: .long, help: "statistics-insitu: lead index to stop before (default: all).")
    var endLead: Int?

    @Flag(name: .long, help: "statistics-insitu: continue from the partial files.")
    var resume = false

    @Flag(name: .long, help: "statistics-insitu: stop without finish() (leaves the partial files).")
    var noFinish = false

    @Option(name: .long, help: "statistics-insitu: EFI climate file.")
    var climate: String?

    @Option(name: .long, help: "The rank that fails in the fail suite.")
    var failRank = 0

    @OptionGroup var global: GlobalOptions

    func run() throws {
        runSPMD(global) { world, _ in
            let checks = SelfTestChecks(world: world)
            switch suite {
            case .collectives: try CollectivesSelfTest.run(checks)
            case .transpose: try TransposeSelfTest.run(checks)
            case .grid: try GridSelfTest.run(checks, layout: layout)
            case .hdf5: try HDF5SelfTest.run(checks, directory: directory)
            case .sht: try SHTSelfTest.run(checks, layout: layout)
            case .sfno where memberBatches: try SFNOSelfTest.runMemberBatches(checks, layout: layout, checkpoint: checkpoint)
            case .sfno: try SFNOSelfTest.run(checks, layout: layout, checkpoint: checkpoint, steps: steps)
            case .statistics: try StatisticsSelfTest.run(checks, fixture: fixture)
            case .statisticsInSitu:
                func indices(_ text: String) -> [Int] { text.split(separator: ",").compactMap { Int($0) } }
                try InSituStatisticsSelfTest.run(checks, options: .init(
                    fixture: fixture, caseName: fixtureCase, directory: directory, invalid: indices(invalid), drop: indices(drop),
                    leads: endLead.map { firstLead..<$0 } ?? (firstLead > 0 ? firstLead..<Int.max : nil),
                    resume: resume, finish: !noFinish, climate: climate))
            case .fail: try failOnOneRank(world)
            }
            try checks.conclude(suite: suite.rawValue)
        }
    }

    /// One rank raises an error while the others wait in a collective: the job must end non-zero
    /// within seconds instead of hanging.
    private func failOnOneRank(_ world: Communicator) throws {
        if world.rank == failRank % world.size {
            throw SelfTestInjectedFailure(rank: world.rank)
        }
        try world.barrier()
        // Only reached when the failing rank did not stop the job.
        Thread.sleep(forTimeInterval: 120)
    }
}

struct SelfTestInjectedFailure: Error, CustomStringConvertible {
    let rank: Int
    var description: String { "injected failure on rank \(rank) (selftest fail)" }
}
