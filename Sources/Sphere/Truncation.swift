/// The degrees and orders a transform on an `nlat × nlon` grid keeps, with torch-harmonics' defaults and
/// bounds: `lmax` (exclusive) in `1 ... nlat`, default the grid's natural truncation (capped at
/// `nlon/2 + 1`); `mmax` in `1 ... nlon/2 + 1`, default `lmax` (triangular truncation).
/// - transform: how errors name the transform ("SHT", "vector SHT").
func resolveTruncation(grid: SphereGrid, nlat: Int, nlon: Int, lmax: Int?, mmax: Int?,
                       transform: String) throws -> (lmax: Int, mmax: Int) {
    guard nlat >= 2, nlon >= 2 else {
        throw SphereError("\(transform) grid \(nlat) × \(nlon) is too small: need at least 2 latitudes and 2 longitudes")
    }
    let lmax = lmax ?? min(grid.naturalDegreeCount(nlat: nlat), nlon / 2 + 1)
    let mmax = mmax ?? lmax
    guard (1...nlat).contains(lmax) else {
        throw SphereError("lmax \(lmax) is outside 1 ... nlat = \(nlat) for the \(nlat) × \(nlon) \(grid) grid")
    }
    guard (1...(nlon / 2 + 1)).contains(mmax) else {
        throw SphereError("mmax \(mmax) is outside 1 ... nlon/2 + 1 = \(nlon / 2 + 1) for the \(nlat) × \(nlon) \(grid) grid")
    }
    return (lmax, mmax)
}
