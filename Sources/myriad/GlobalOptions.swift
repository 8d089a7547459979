import ArgumentParser

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .long, help: "Log from every rank (prefixed with its rank) and at debug level; by default only rank 0 logs.")
    var verbose = false

    @Option(name: .long, help: "Threads per rank (default: OPENBLAS_NUM_THREADS, else 1); OpenBLAS itself runs single-threaded inside them.")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 {
            throw ValidationError("--threads must be at least 1, got \(threads)")
        }
    }
}
