import Foundation

/// Cosine of the solar zenith angle as makani v0.1.0 evaluates it (third_party/climt/zenith_angle.py,
/// model_package.py:81-95): climt's formula in **float32 throughout**, in the same order of operations,
/// on makani's own grid `lat_i = 90 − 180 i/(nlat − 1)`, `lon_j = 360 j/nlon` degrees. A float64
/// evaluation differs by up to 3e-3, so the float32 roundings are part of the result
/// (tools/fixtures/SFNO-NOTES.md, "cos zenith angle").
public enum CosZenith {
    /// 2000-01-01 12:00 UTC, the J2000 epoch, in seconds since 1970.
    static let j2000: Double = 946_728_000

    /// - Returns: `[nlat][nlon]`
    public static func field(at time: Date, nlat: Int, nlon: Int) -> [Float] {
        field(at: time, nlat: nlat, nlon: nlon, latitudes: 0..<nlat, longitudes: 0..<nlon)
    }

    /// The rows `latitudes` and columns `longitudes` of the `nlat × nlon` field (a model-parallel rank's
    /// slab), each point computed exactly as in the whole field.
    /// - Returns: `[latitudes.count][longitudes.count]`
    public static func field(at time: Date, nlat: Int, nlon: Int, latitudes: Range<Int>, longitudes: Range<Int>) -> [Float] {
        let degree = Float(Double.pi / 180)   // numpy's float32 deg2rad multiplies by (float)(π/180)
        // Whole microseconds since J2000, divided in float64, then float32 (the "days" array).
        let microseconds = ((time.timeIntervalSince1970 - j2000) * 1e6).rounded()
        let days = Float(microseconds / 86400e6)
        let jc = days / Float(36525.0)

        // theta = 67310.54841 + jc*(876600*3600 + 8640184.812866 + jc*(0.093104 - jc*6.2*10e-6)), in float32.
        var a = jc * Float(6.2)
        a = a * Float(10e-6)
        var b = Float(0.093104) - a
        b = jc * b
        b = Float(876600.0 * 3600 + 8640184.812866) + b
        b = jc * b
        let theta = Float(67310.54841) + b
        let gmst = ((theta / Float(240.0)) * degree).truncatingRemainder(dividingBy: Float(2 * Double.pi))
            .positiveRemainder(Float(2 * Double.pi))

        let jc2 = jc * jc
        let meanAnomaly = (Float(357.52910) + Float(35999.05030) * jc - Float(0.0001559) * jc * jc
                           - Float(0.00000048) * jc * jc * jc) * degree
        let meanLongitude = (Float(280.46645) + Float(36000.76983) * jc + Float(0.0003032) * jc2) * degree
        let dl = ((Float(1.914600) - Float(0.004817) * jc - Float(0.000014) * jc2) * sinf(meanAnomaly)
                  + (Float(0.019993) - Float(0.000101) * jc) * sinf(Float(2) * meanAnomaly)
                  + Float(0.000290) * sinf(Float(3) * meanAnomaly)) * degree
        let eclipticLongitude = meanLongitude + dl
        let polynomial = Float(46.836769) * jc - Float(0.0001831) * jc2 + Float(0.00200340) * powf(jc, 3)
            - Float(0.576e-6) * powf(jc, 4) - Float(4.34e-8) * powf(jc, 5)
        let obliquity = (Float(23.0 + 26.0 / 60 + 21.406 / 3600.0) - polynomial / Float(3600.0)) * degree

        let x = cosf(eclipticLongitude)
        let y = cosf(obliquity) * sinf(eclipticLongitude)
        let z = sinf(obliquity) * sinf(eclipticLongitude)
        let r = (Float(1.0) - z * z).squareRoot()
        let declination = atan2f(z, r)
        let rightAscension = Float(2.0) * atan2f(y, x + r)
        let sinDec = sinf(declination)
        let cosDec = cosf(declination)

        var field = [Float](repeating: 0, count: latitudes.count * longitudes.count)
        let lonRadians = longitudes.map { Float(360.0 * Double($0) / Double(nlon)) * degree }
        for (row, i) in latitudes.enumerated() {
            let lat = Float(90.0 - 180.0 * Double(i) / Double(nlat - 1)) * degree
            let sinLat = sinf(lat)
            let cosLat = cosf(lat)
            for j in 0..<longitudes.count {
                let hourAngle = (gmst + lonRadians[j]) - rightAscension
                field[row * longitudes.count + j] = sinLat * sinDec + cosLat * cosDec * cosf(hourAngle)
            }
        }
        return field
    }
}

extension Float {
    /// `self mod m` in [0, m) given `self` in (−m, m) (numpy's remainder of a fmod result).
    fileprivate func positiveRemainder(_ m: Float) -> Float { self < 0 ? self + m : self }
}
