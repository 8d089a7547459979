import Foundation

/// The auxiliary input channels of makani v0.1.0's `Preprocessor2D` that do not change with time
/// (preprocessor.py:72-159), in makani's order: sinusoidal grid features, orography, land-sea mask.
public enum MakaniPreprocessing {
    /// `sin(k·lat), sin(k·lon)` for k = 1 … F, angles in float32 radians from the checkpoint's degrees.
    /// - Returns: `[2F][nlat][nlon]`
    public static func gridFeatures(latitudes: [Double], longitudes: [Double], frequencies: Int) -> [Float] {
        let degree = Float(Double.pi / 180)
        let lat = latitudes.map { Float($0) * degree }
        let lon = longitudes.map { Float($0) * degree }
        let (nlat, nlon) = (lat.count, lon.count)
        var out = [Float](repeating: 0, count: 2 * frequencies * nlat * nlon)
        for k in 1...max(frequencies, 1) where frequencies > 0 {
            let f = Float(k)
            let sinLat = lat.map { sinf(k == 1 ? $0 : f * $0) }
            let sinLon = lon.map { sinf(k == 1 ? $0 : f * $0) }
            let latChannel = 2 * (k - 1) * nlat * nlon
            let lonChannel = latChannel + nlat * nlon
            for i in 0..<nlat {
                for j in 0..<nlon {
                    out[latChannel + i * nlon + j] = sinLat[i]
                    out[lonChannel + i * nlon + j] = sinLon[j]
                }
            }
        }
        return out
    }

    /// Orography min–max scaled to [0, 1] in float32, then z-scored with the **unbiased** standard
    /// deviation plus 1e-6 (conditioning_inputs.py:24-32, preprocessor.py:120-137).
    /// - raw: `[nlat][nlon]` surface geopotential; returns the same shape
    public static func orography(_ raw: [Float]) -> [Float] {
        let lo = raw.min() ?? 0
        let hi = raw.max() ?? 1
        let scaled = raw.map { ($0 - lo) / (hi - lo) }
        let n = Double(scaled.count)
        let mean = scaled.reduce(0.0) { $0 + Double($1) } / n
        let variance = scaled.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / (n - 1)
        let m = Float(mean)
        let s = Float(variance.squareRoot()) + Float(1e-6)
        return scaled.map { ($0 - m) / s }
    }

    /// The land-sea fraction truncated toward zero (only points exactly 1 are land) and one-hot encoded:
    /// channel 0 = `trunc == 0`, channel 1 = `trunc == 1` (preprocessor.py:139-154).
    /// - raw: `[nlat][nlon]`; returns `[2][nlat][nlon]`
    public static func landSeaMask(_ raw: [Float]) -> [Float] {
        let truncated = raw.map { $0.rounded(.towardZero) }
        return truncated.map { $0 == 0 ? 1 : 0 } + truncated.map { $0 == 1 ? 1 : 0 }
    }

    /// Every static auxiliary channel the checkpoint asks for, concatenated in makani's order.
    /// - Returns: `[channels][nlat][nlon]`
    public static func staticChannels(_ c: Checkpoint) throws -> [Float] {
        var out = [Float]()
        if c.addGrid {
            out += gridFeatures(latitudes: c.latitudes, longitudes: c.longitudes, frequencies: c.gridFrequencies)
        }
        if let raw = c.orography {
            guard let lo = raw.min(), let hi = raw.max(), hi > lo, raw.allSatisfy(\.isFinite) else {
                throw SFNOError(file: c.path, object: "static/orography", "is constant or not finite; min–max scaling is undefined",
                                fix: "convert a package with a real orography.nc")
            }
            out += orography(raw)
        }
        if let raw = c.landSeaMask {
            let truncated = raw.map { $0.rounded(.towardZero) }
            guard truncated.contains(1), truncated.allSatisfy({ $0 == 0 || $0 == 1 }) else {
                throw SFNOError(file: c.path, object: "static/land_sea_mask",
                                "must be fractions in [0, 1] with some points exactly 1 (makani one-hot encodes the truncated mask into 2 classes)",
                                fix: "convert a package with a land-sea fraction in [0, 1]")
            }
            out += landSeaMask(raw)
        }
        return out
    }
}
