import Foundation

/// HENS's hemispheric norm of a perturbation, as earth2studio's `HemisphericCentredBredVector.hemispheric_norm`
/// computes it, and the rescaling of a perturbation to a target amplitude per channel.
///
/// For each channel, with `E` extratropical rows at each end (HENS: `E = ⌊70/180 · nlat⌋`, "poleward of 20°")
/// and area weights `w_k = cos(lat_k) / mean_j cos(lat_j)` (mean over **all** rows):
///
///     north = sqrt( (1/(E·nlon)) Σ_{k < E}        Σ_j w_k x_kj² )
///     south = sqrt( (1/(E·nlon)) Σ_{k ≥ nlat−E}   Σ_j w_k x_kj² )
///
/// Because the weights are normalised over the whole sphere and then averaged over one hemisphere's rows, this
/// is not a weighted mean within the extratropics: at 721 rows it is about 0.92 × the properly weighted RMS.
/// Myriad keeps earth2studio's definition so that the targets `T_c` mean what they mean in HENS.
///
/// The `nlat − 2E` tropical rows get a norm interpolated linearly in the row index from `north` (first tropical
/// row) to `south` (last tropical row), both ends included (`torch.linspace(north, south, nlat − 2E)`); on an
/// equiangular grid that is linear in latitude. The rescaling divides each row by its norm — the **norm** is
/// interpolated, not the factor — and a norm of exactly zero counts as 1, so a zero channel stays zero.
///
/// earth2studio takes `w_k = sin(linspace(0, π, nlat))`, which equals `cos(lat_k)` on the equiangular grid with
/// both poles; Myriad uses the given latitudes, so Legendre–Gauss grids get their own cosines.
public struct HemisphericNorm: Sendable {
    /// Latitudes in degrees, north → south.
    public let latitudes: [Double]
    /// Rows of each extratropical band (`E`).
    public let extratropicalRows: Int
    /// `cos(lat_k) / mean_j cos(lat_j)` per row.
    public let weights: [Double]

    /// HENS's extratropical band: `⌊70/180 · nlat⌋` rows at each end (281 would be |lat| ≥ 20° at 721 rows;
    /// HENS takes 280).
    public static func hensExtratropicalRows(nlat: Int) -> Int { Int(70.0 / 180.0 * Double(nlat)) }

    /// Rows whose latitude is at least `boundary` degrees north (the count of the northern band on a grid
    /// symmetric about the equator).
    public static func extratropicalRows(latitudes: [Double], boundary: Double) -> Int {
        latitudes.prefix { $0 >= boundary }.count
    }

    /// - latitudes: `[nlat]` degrees, north → south
    /// - extratropicalRows: `E`, rows in each band; default `hensExtratropicalRows(nlat:)`
    public init(latitudes: [Double], extratropicalRows: Int? = nil) {
        let nlat = latitudes.count
        let rows = extratropicalRows ?? Self.hensExtratropicalRows(nlat: nlat)
        precondition(rows >= 1 && 2 * rows <= nlat,
                     "HemisphericNorm: \(rows) extratropical rows do not fit twice into \(nlat) latitudes")
        precondition(zip(latitudes, latitudes.dropFirst()).allSatisfy { $0 > $1 },
                     "HemisphericNorm: latitudes must run north → south")
        self.latitudes = latitudes
        self.extratropicalRows = rows
        let cosines = latitudes.map { max(0, cos($0 * Double.pi / 180)) }
        let mean = cosines.reduce(0, +) / Double(nlat)
        weights = cosines.map { $0 / mean }
    }

    public var nlat: Int { latitudes.count }

    /// The northern and southern norms of one field.
    /// - field: `[nlat][nlon]`
    public func norms(_ field: UnsafeBufferPointer<Float>, nlon: Int) -> (north: Double, south: Double) {
        precondition(field.count == nlat * nlon,
                     "HemisphericNorm.norms: field holds \(field.count) values, expected \(nlat) × \(nlon)")
        func band(_ rows: Range<Int>) -> Double {
            var total = 0.0
            for k in rows {
                var row = 0.0
                for j in 0..<nlon { let v = Double(field[k * nlon + j]); row += v * v }
                total += weights[k] * row
            }
            return (total / Double(rows.count * nlon)).squareRoot()
        }
        return (band(0..<extratropicalRows), band((nlat - extratropicalRows)..<nlat))
    }

    /// The norm of every row: `north` on the northern band, `south` on the southern, interpolated between.
    /// - returns: `[nlat]`
    public func rowNorms(north: Double, south: Double) -> [Double] {
        let tropics = nlat - 2 * extratropicalRows
        var out = [Double](repeating: north, count: nlat)
        for k in (nlat - extratropicalRows)..<nlat { out[k] = south }
        for i in 0..<tropics {
            // torch.linspace: start + i·step in the first half, end − (n−1−i)·step in the second.
            let step = tropics > 1 ? (south - north) / Double(tropics - 1) : 0
            out[extratropicalRows + i] = i < tropics / 2 ? north + Double(i) * step
                                                         : south - Double(tropics - 1 - i) * step
        }
        return out
    }

    /// Rescales each channel so that both hemispheric norms equal the channel's target:
    /// `x_kj ← T_c · x_kj / norm_k` (a zero norm counts as 1).
    /// - state: `[channels][nlat][nlon]`
    /// - targets: `[channels]`, `T_c`
    public func rescale(_ state: inout [Float], nlon: Int, targets: [Double]) {
        let channels = targets.count
        precondition(state.count == channels * nlat * nlon,
                     "HemisphericNorm.rescale: state holds \(state.count) values, expected \(channels) × \(nlat) × \(nlon)")
        state.withUnsafeMutableBufferPointer { buffer in
            for c in 0..<channels {
                let field = UnsafeMutableBufferPointer(rebasing: buffer[(c * nlat * nlon)..<((c + 1) * nlat * nlon)])
                let (north, south) = norms(UnsafeBufferPointer(field), nlon: nlon)
                let rows = rowNorms(north: north, south: south)
                for k in 0..<nlat {
                    let factor = Float(targets[c] / (rows[k] == 0 ? 1 : rows[k]))
                    for j in 0..<nlon { field[k * nlon + j] *= factor }
                }
            }
        }
    }
}
