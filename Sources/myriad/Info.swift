import ArgumentParser
import Kernels
import MPI
import Storage

/// `myriad info`: library versions and the process grid of the current world.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the versions of MPI, FFTW, OpenBLAS and HDF5 and the process grid of this job.",
        discussion: """
            Every rank builds the grid and reports the world ranks of each of its communicators; rank 0 \
            prints one row per rank. Groups are lists of world ranks (a-b is a contiguous range).
            """)

    @Option(name: .long, help: "Model layout of each ensemble group, e.g. h=2,w=1,channel=1.",
            transform: ModelLayout.init(parsing:))
    var layout = ModelLayout()

    @OptionGroup var global: GlobalOptions

    func run() throws {
        runSPMD(global) { world, _ in
            let grid = try ProcessGrid(world: world, layout: layout)
            let rows = try GridReport.gather(grid)
            if world.isRoot {
                print(versionReport(worldSize: world.size))
                print("")
                print(GridReport.render(rows, grid: grid))
            }
        }
    }

    private func versionReport(worldSize: Int) -> String {
        let threads = RankThreads.count
        return """
            Myriad     \(Myriad.version)
            MPI        \(MPIEnvironment.libraryVersion) (MPI \(MPIEnvironment.standardVersion)), \(worldSize) rank\(worldSize == 1 ? "" : "s")
            FFTW       \(FFTWConfiguration.version)
            OpenBLAS   \(BLASConfiguration.configuration) (kernel \(BLASConfiguration.coreName), single-threaded calls on \(threads) thread\(threads == 1 ? "" : "s") per rank)
            HDF5       \(HDF5Library.version), parallel (MPI-IO): \(HDF5Library.isParallel ? "yes" : "no")
            """
    }
}
