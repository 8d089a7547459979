import Foundation

extension MPIEnvironment {
    /// This process's rank in the job as its launcher announces it in the environment, before MPI starts:
    /// Open MPI's `OMPI_COMM_WORLD_RANK`, PMIx's `PMIX_RANK`, MPICH/Hydra's `PMI_RANK`, Slurm's
    /// `SLURM_PROCID`; nil when started without a launcher. What lets errors found before MPI starts (a
    /// command line that does not parse is the same on every rank) be printed once, by rank 0.
    public static var launcherRank: Int? {
        let environment = ProcessInfo.processInfo.environment
        for name in ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"] {
            if let text = environment[name], let rank = Int(text) { return rank }
        }
        return nil
    }
}
