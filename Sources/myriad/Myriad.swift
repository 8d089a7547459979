import ArgumentParser
import Ensemble
import Foundation
import MPI

/// The `myriad` command: one SPMD executable for every rank of an `mpirun`/`srun` job.
@main
struct Myriad: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "myriad",
        abstract: "Huge ensembles of SFNO weather forecasts over MPI.",
        discussion: """
            Start it under mpirun or srun; every rank runs the same command. Examples:
              mpirun -np 4 myriad info --layout h=2,w=1,channel=1
            """,
        version: "myriad \(version)",
        subcommands: [Info.self, RunCommand.self, Spectrum.self, ForwardCommand.self, ShallowWaterCommand.self, ScoreCommand.self,
                      CalibrateCommand.self, ClimateCommand.self, ReportCommand.self, SelfTest.self]
    )

    /// `myriad run` takes SIGTERM/SIGUSR1 as "stop after this step" from the process's first moment, before
    /// arguments are parsed and MPI starts: a batch system's signal then never kills a rank (status 138).
    static func main() {
        if CommandLine.arguments.dropFirst().first == RunCommand.configuration.commandName { StopSignal.install() }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            // A command line that does not parse (an unknown option, a value not among an option's values)
            // is the same on every rank: rank 0 alone says so, as `runSPMD` does for errors raised alike,
            // and every rank exits with the parser's status.
            if let rank = MPIEnvironment.launcherRank, rank != 0 { Foundation.exit(exitCode(for: error).rawValue) }
            exit(withError: error)
        }
    }
}
