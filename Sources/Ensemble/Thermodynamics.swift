import Foundation

/// Moist thermodynamics as MetPy 1.7.1 computes it (`metpy.calc`, liquid phase), in float64, so that the
/// derived variables (`DerivedVariable`) equal MetPy's to round-off. Temperatures in K, pressures in Pa.
enum Thermodynamics {
    // MetPy 1.7.1's constants (`metpy.constants.nounit`), as it derives them: Rv = R / Mw,
    // Cp_v = γ Rv / (γ − 1) with γ = 1.330, ε = Mw / Md.
    static let tripleTemperature = 273.16            // T0, K
    static let saturationPressureAtT0 = 611.2          // Pa (6.112 hPa)
    static let latentHeatOfVaporisation = 2.50084e6    // Lv at T0, J kg-1
    static let liquidSpecificHeat = 4219.400000000001  // Cp_l, J kg-1 K-1
    static let vapourSpecificHeat = 1860.078011865639  // Cp_v, J kg-1 K-1
    static let vapourGasConstant = 461.52311572606084  // Rv, J kg-1 K-1
    static let molecularWeightRatio = 0.6219569100577033  // ε
    /// Standard gravity (MetPy's `earth_gravity`), m s-2.
    static let gravity = 9.80665

    /// Saturation vapour pressure over liquid water (Pa), MetPy's `saturation_vapor_pressure` (Ambaum 2020:
    /// Clausius–Clapeyron with a latent heat linear in T):
    /// `e_s = 611.2 (T0/T)^((Cp_l − Cp_v)/Rv) exp((Lv/T0 − L(T)/T)/Rv)`, `L(T) = Lv − (Cp_l − Cp_v)(T − T0)`.
    static func saturationVapourPressure(_ t: Double) -> Double {
        let latentHeat = latentHeatOfVaporisation - (liquidSpecificHeat - vapourSpecificHeat) * (t - tripleTemperature)
        let heatPower = (liquidSpecificHeat - vapourSpecificHeat) / vapourGasConstant
        let exponent = (latentHeatOfVaporisation / tripleTemperature - latentHeat / t) / vapourGasConstant
        return saturationPressureAtT0 * pow(tripleTemperature / t, heatPower) * exp(exponent)
    }

    /// Relative humidity (fraction) from temperature and dewpoint: `e_s(Td) / e_s(T)`
    /// (MetPy's `relative_humidity_from_dewpoint`).
    static func relativeHumidity(temperature t: Double, dewpoint td: Double) -> Double {
        saturationVapourPressure(td) / saturationVapourPressure(t)
    }

    /// Relative humidity (fraction) from pressure, temperature and specific humidity (MetPy's
    /// `relative_humidity_from_specific_humidity`): `w = q/(1 − q)`, `w_s = ε e_s/(p − e_s)` (NaN where
    /// `e_s ≥ p`), `RH = w/(ε + w) · (ε + w_s)/w_s`.
    static func relativeHumidity(pressure p: Double, temperature t: Double, specificHumidity q: Double) -> Double {
        let w = q / (1 - q)
        let es = saturationVapourPressure(t)
        guard es < p else { return .nan }
        let ws = molecularWeightRatio * es / (p - es)
        let e = molecularWeightRatio
        return w / (e + w) * (e + ws) / ws
    }

    /// NOAA's heat index (K) from temperature (K) and relative humidity (fraction), MetPy's `heat_index`
    /// with `mask_undefined=False`: T itself at or below 40 °F; Steadman's simple formula where it is below
    /// 79 °F; otherwise the Rothfusz regression, minus the dry adjustment (RH ≤ 13 %, 80 … 112 °F) or plus
    /// the humid one (RH > 85 %, 80 … 87 °F).
    static func heatIndex(temperature t: Double, relativeHumidity rh: Double) -> Double {
        let f = t * 9 / 5 - 459.67   // °F
        let simple = -10.3 + 1.1 * f + 4.7 * rh
        var hi: Double
        if f <= 40 {
            hi = f
        } else if simple < 79 {
            hi = simple
        } else {
            let (f2, rh2) = (f * f, rh * rh)
            hi = -42.379 + 2.04901523 * f + 1014.333127 * rh - 22.475541 * f * rh - 6.83783e-3 * f2
                - 5.481717e2 * rh2 + 1.22874e-1 * f2 * rh + 8.5282 * f * rh2 - 1.99e-2 * f2 * rh2
        }
        if rh <= 0.13 && f >= 80 && f <= 112 {
            hi -= (13 - rh * 100) / 4 * ((17 - abs(f - 95)) / 17).squareRoot()
        }
        if rh > 0.85 && f >= 80 && f <= 87 {
            hi += 0.02 * (rh * 100 - 85) * (87 - f)
        }
        return (hi + 459.67) * 5 / 9
    }
}
