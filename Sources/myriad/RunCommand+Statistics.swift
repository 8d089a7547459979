import Ensemble
import MPI

extension RunCommand {
    /// The in-situ statistics of a run (none until the statistics engine is connected).
    func makeStatisticsHook(plan: EnsemblePlan, world: Communicator) throws -> StatisticsHook? {
        nil
    }
}
