import ArgumentParser

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
        subcommands: [Info.self, RunCommand.self, Spectrum.self, ForwardCommand.self, ShallowWaterCommand.self, ScoreCommand.self, ReportCommand.self, SelfTest.self]
    )
}
