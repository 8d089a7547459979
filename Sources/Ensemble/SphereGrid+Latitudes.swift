import Sphere

extension SphereGrid {
    /// The grid whose `nlat` latitudes these are (north → south, degrees, to `tolerance`), or nil: the
    /// equiangular grid with both poles, or the Legendre–Gauss nodes.
    static func matching(latitudes: [Double], tolerance: Double = 1e-4) -> SphereGrid? {
        guard latitudes.count >= 2 else { return nil }
        for grid in SphereGrid.allCases {
            let expected = Quadrature(grid: grid, nlat: latitudes.count).latitudesDegrees
            if zip(expected, latitudes).allSatisfy({ abs($0 - $1) <= tolerance }) { return grid }
        }
        return nil
    }
}
