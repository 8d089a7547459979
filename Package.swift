// swift-tools-version:6.0
// Myriad: huge SFNO ensembles over MPI. One SPMD executable, `myriad`.
import Foundation
import PackageDescription

/// The CPU the numerical modules are compiled for. On x86-64 the default is Haswell (AVX2 + FMA): every
/// x86 HPC node since 2014 has it, and the SIMD loops of the transforms run twice as wide as on the
/// baseline. Set MYRIAD_TARGET_CPU to build for another (`x86-64` for old machines, `znver3`, `native` —
/// but build on a compute node then: login nodes often differ). Other architectures: the compiler's default.
let targetCPU: String? = {
    if let cpu = ProcessInfo.processInfo.environment["MYRIAD_TARGET_CPU"], !cpu.isEmpty { return cpu }
    #if arch(x86_64)
    return "haswell"
    #else
    return nil
    #endif
}()

/// Numerical kernels are compiled with optimisation in debug builds too: unoptimised Swift is ~100× slower
/// in these loops, which would make the test suite (and debugging a whole run) impractically slow.
let optimisedAlways: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]
    + (targetCPU.map { [.unsafeFlags(["-target-cpu", $0])] } ?? [])

/// C libraries come from the system (Debian: `launch/setup` installs them); each has a module map and a
/// `shim.h` that turns the C macros Swift cannot import into inline functions.
let package = Package(
    name: "Myriad",
    products: [
        .executable(name: "myriad", targets: ["myriad"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // MARK: - System libraries
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f",
                       providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5-openmpi",
                       providers: [.apt(["libhdf5-openmpi-dev"])]),
        // oneDNN (bf16 GEMMs): Debian's libdnnl-dev ships no pkg-config file; headers and library are on
        // the default paths.
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),

        // MARK: - Swift modules (dependencies point down only)
        .target(name: "MPI", dependencies: [
            "CMPI",
            .product(name: "ComplexModule", package: "swift-numerics"),
        ]),
        .target(name: "Kernels", dependencies: [
            "CFFTW", "COpenBLAS", "CDNNL",
            .product(name: "ComplexModule", package: "swift-numerics"),
            .product(name: "RealModule", package: "swift-numerics"),
        ], swiftSettings: optimisedAlways),
        .target(name: "Storage", dependencies: ["CHDF5", "MPI"]),
        .target(name: "Sphere", dependencies: [
            "MPI", "Kernels",
            .product(name: "ComplexModule", package: "swift-numerics"),
            .product(name: "RealModule", package: "swift-numerics"),
        ], swiftSettings: optimisedAlways),
        // The model interface every model family implements (ForecastModel, ForecastModelDescription).
        .target(name: "ModelInterface", dependencies: ["Sphere", "MPI"]),
        .target(name: "ShallowWater", dependencies: [
            "ModelInterface", "Sphere", "Storage", "Kernels", "MPI",
            .product(name: "ComplexModule", package: "swift-numerics"),
            .product(name: "RealModule", package: "swift-numerics"),
        ], swiftSettings: optimisedAlways),
        .target(name: "Statistics", dependencies: ["MPI", "Kernels", "Sphere", "Storage"], swiftSettings: optimisedAlways),
        .target(name: "SFNO", dependencies: [
            "ModelInterface", "MPI", "Kernels", "Storage", "Sphere",
            .product(name: "ComplexModule", package: "swift-numerics"),
            .product(name: "RealModule", package: "swift-numerics"),
        ], swiftSettings: optimisedAlways),
        .target(name: "Ensemble", dependencies: [
            "ModelInterface", "MPI", "Kernels", "Storage", "Sphere", "ShallowWater", "Statistics", "SFNO",
            .product(name: "ComplexModule", package: "swift-numerics"),
            .product(name: "RealModule", package: "swift-numerics"),
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: optimisedAlways),
        .executableTarget(name: "myriad", dependencies: [
            "ModelInterface", "MPI", "Kernels", "Storage", "Sphere", "ShallowWater", "Statistics", "SFNO", "Ensemble",
            .product(name: "ComplexModule", package: "swift-numerics"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: - Benchmarks (bench/; run by bench/sht/compare.py, not by the tests)
        .executableTarget(name: "sht-benchmark", dependencies: [
            "Sphere", "Kernels", "MPI",
            .product(name: "ComplexModule", package: "swift-numerics"),
        ], path: "bench/sht/swift"),

        .executableTarget(name: "swe-benchmark", dependencies: ["ShallowWater"], path: "bench/swe/swift",
                          swiftSettings: optimisedAlways),

        .executableTarget(name: "sfno-benchmark", dependencies: ["SFNO", "ModelInterface", "Storage", "Kernels"], path: "bench/sfno/swift",
                          swiftSettings: optimisedAlways),

        // MARK: - Tests
        .testTarget(name: "MyriadTests", dependencies: [
            "MPI", "Kernels", "Storage", "Sphere", "ModelInterface", "ShallowWater", "Statistics", "SFNO", "Ensemble", "myriad",
            .product(name: "Numerics", package: "swift-numerics"),
        ], exclude: ["Fixtures"]),
    ]
)
