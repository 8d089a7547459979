import MPI

/// The latitude grids Myriad transforms on. Latitudes run north → south, longitudes `2πj/nlon` from 0°
/// eastwards, as in ERA5/makani files.
public enum SphereGrid: String, Sendable, CaseIterable, CustomStringConvertible {
    /// `nlat` equally spaced colatitudes including both poles, `θ_k = πk/(nlat−1)`, with Clenshaw–Curtis
    /// weights (ERA5's 721 × 1440 0.25° grid).
    case equiangular
    /// Gauss–Legendre nodes (no poles), exact for polynomials of degree `2·nlat − 1`.
    case legendreGauss = "legendre-gauss"

    public var description: String { rawValue }

    /// torch-harmonics' default degree truncation (exclusive) for `nlat` latitudes (v0.9: equiangular
    /// grids keep `(nlat+1)/2` degrees, Legendre–Gauss all `nlat`).
    public func naturalDegreeCount(nlat: Int) -> Int {
        switch self {
        case .equiangular: (nlat + 1) / 2
        case .legendreGauss: nlat
        }
    }
}

/// An SHT configuration that cannot be built. `SameOnEveryRank`: every throw is in a constructor (a transform,
/// the shallow-water solver and model, spherical noise) whose arguments come from the run's configuration
/// or its input files' metadata, which every rank reads alike and builds from at the same point (a
/// checkpoint's truncation is checked against its grids when every rank loads the checkpoints).
public struct SphereError: SameOnEveryRank, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
