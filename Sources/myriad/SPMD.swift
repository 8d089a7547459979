import Foundation
import Kernels
import Logging
import MPI

/// Runs a command's body on every rank with MPI started, logging set up and one error policy:
///
/// - an error every rank raises alike (`SameOnEveryRank`, e.g. a bad layout) is printed once, by rank 0,
///   and every rank exits with status 1 — once the ranks have met on a barrier of their own: a rank that
///   raised such an error alone (the others went on into a collective) finds nobody there within
///   `agreementSeconds`, prints its error and aborts the job instead of leaving the others waiting;
/// - any other error is printed by the rank that raised it, which then aborts the whole job
///   (`MPI_Abort`), so no rank is left waiting in a collective.
///
/// MPI is finalised on the way out in every case.
func runSPMD(_ options: GlobalOptions, _ body: (Communicator, Logger) throws -> Void) -> Never {
    let world: Communicator
    do {
        world = try MPIEnvironment.start()
    } catch {
        writeStandardError("myriad: error: could not start MPI: \(error)\n")
        exit(1)
    }
    RankLogHandler.bootstrap(rank: world.rank, size: world.size, verbose: options.verbose)
    RankThreads.count = options.threads
        ?? ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap(Int.init) ?? 1
    let logger = Logger(label: "myriad")
    do {
        try body(world, logger)
    } catch let error as SameOnEveryRank {
        guard MPIEnvironment.everyRankArrives(within: agreementSeconds) else {
            MPIEnvironment.abort(message: "myriad: error: \(error)")
        }
        if world.rank == 0 { writeStandardError("myriad: error: \(error)\n") }
        MPIEnvironment.finish()
        exit(1)
    } catch {
        MPIEnvironment.abort(message: "myriad: error: \(error)")
    }
    MPIEnvironment.finish()
    exit(0)
}

/// How long a rank with an error meant for every rank waits for the others before it aborts the job. Ranks
/// that raise the error alike reach it within moments of each other (they ran the same checks).
let agreementSeconds = 5.0
