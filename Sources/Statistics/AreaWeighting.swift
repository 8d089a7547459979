import Foundation
import Sphere

/// How scores weight the grid points by area (`myriad score --weights`): the quadrature weights of the
/// grid's latitudes, or the cosine of each latitude given in degrees.
public enum AreaWeighting: String, CaseIterable, Sendable {
    case equiangular
    case legendreGauss = "legendre-gauss"
    case cosLatitude = "cos-latitude"

    /// The weight of each latitude row. Throws `ScoreInputError` naming `file` when the weights cannot be
    /// made: cos-latitude without `latitudes` (degrees, north → south) or with other than `nlat` of them
    /// within ±90; quadrature weights on fewer than 2 latitudes.
    public func latitudeWeights(nlat: Int, latitudes: [Double]?, file: String) throws -> [Double] {
        switch self {
        case .cosLatitude:
            guard let latitudes else {
                throw ScoreInputError("\(file): --weights cos-latitude needs a 'lat' dataset (degrees, [\(nlat)]); add it or use --weights equiangular|legendre-gauss")
            }
            guard latitudes.count == nlat, latitudes.allSatisfy({ abs($0) <= 90 }) else {
                throw ScoreInputError("\(file): 'lat' must hold \(nlat) latitudes in degrees within ±90")
            }
            return latitudes.map { cos($0 * Double.pi / 180) }
        case .equiangular, .legendreGauss:
            guard nlat >= 2 else { throw ScoreInputError("\(file): \(nlat) latitude(s); quadrature weights need at least 2") }
            return Quadrature(grid: self == .equiangular ? .equiangular : .legendreGauss, nlat: nlat).weights
        }
    }
}
