/// CF metadata of a state channel — `units` (UDUNITS-2 syntax, as CF wants) and the CF standard name where
/// the standard-name table has one — for every file Myriad writes, from this one table.
///
/// Covers the shallow-water world's channels (`ShallowWaterChannel`) and the 74 HENS SFNO channels under
/// their makani names (REFERENCE.md §1: `u10m v10m u100m v100m t2m sp msl tcwv 2d`, then `u v z t q` at
/// 13 pressure levels as `u500`, `z850`, …). A channel the table does not know gets no units (a tool then
/// shows it as dimensionless, and the CF checker warns rather than guess).
public struct ChannelMetadata: Sendable, Equatable {
    public let name: String
    public let longName: String
    public let units: String
    public let standardName: String?

    public init(name: String, longName: String, units: String, standardName: String?) {
        self.name = name
        self.longName = longName
        self.units = units
        self.standardName = standardName
    }

    /// The metadata of channel `name`, or nil when the table does not know it.
    public static func named(_ name: String) -> ChannelMetadata? {
        if let fixed = fixedChannels[name] { return fixed }
        if name.hasPrefix("ws") { return windSpeed(name) }
        return pressureLevel(name)
    }

    /// Units of the square of this channel (power spectra): every exponent doubled, `m s-1` → `m2 s-2`.
    public var squaredUnits: String { Self.squared(units) }

    /// CF attributes of a variable holding this channel (`long_name` is given by the caller's description).
    public var attributes: [(String, NetCDFAttribute)] {
        [("units", .text(units))] + (standardName.map { [("standard_name", NetCDFAttribute.text($0))] } ?? [])
    }

    /// `u v z t q` at the HENS pressure levels (hPa).
    public static let pressureLevels = [50, 100, 150, 200, 250, 300, 400, 500, 600, 700, 850, 925, 1000]

    private static let fixedChannels: [String: ChannelMetadata] = {
        let entries: [ChannelMetadata] = [
            // The shallow-water world (ShallowWaterChannel): a fluid layer, so height is its depth.
            ChannelMetadata(name: "height", longName: "fluid depth of the shallow-water layer", units: "m", standardName: nil),
            ChannelMetadata(name: "u", longName: "eastward velocity", units: "m s-1", standardName: "eastward_wind"),
            ChannelMetadata(name: "v", longName: "northward velocity", units: "m s-1", standardName: "northward_wind"),
            ChannelMetadata(name: "vorticity", longName: "relative vorticity", units: "s-1", standardName: "atmosphere_upward_relative_vorticity"),
            // HENS surface channels (makani names).
            ChannelMetadata(name: "u10m", longName: "10 m eastward wind", units: "m s-1", standardName: "eastward_wind"),
            ChannelMetadata(name: "v10m", longName: "10 m northward wind", units: "m s-1", standardName: "northward_wind"),
            ChannelMetadata(name: "u100m", longName: "100 m eastward wind", units: "m s-1", standardName: "eastward_wind"),
            ChannelMetadata(name: "v100m", longName: "100 m northward wind", units: "m s-1", standardName: "northward_wind"),
            ChannelMetadata(name: "t2m", longName: "2 m temperature", units: "K", standardName: "air_temperature"),
            ChannelMetadata(name: "sp", longName: "surface pressure", units: "Pa", standardName: "surface_air_pressure"),
            ChannelMetadata(name: "msl", longName: "mean sea level pressure", units: "Pa", standardName: "air_pressure_at_mean_sea_level"),
            ChannelMetadata(name: "tcwv", longName: "total column water vapour", units: "kg m-2",
                            standardName: "atmosphere_mass_content_of_water_vapor"),
            ChannelMetadata(name: "2d", longName: "2 m dewpoint temperature", units: "K", standardName: "dew_point_temperature"),
            ChannelMetadata(name: "d2m", longName: "2 m dewpoint temperature", units: "K", standardName: "dew_point_temperature"),
            // Derived variables (Ensemble's DerivedVariable, `output.derived`). IVT's magnitude has no CF
            // standard name (CF names only its eastward and northward components).
            ChannelMetadata(name: "ivt", longName: "integrated vapour transport (magnitude)", units: "kg m-1 s-1", standardName: nil),
            ChannelMetadata(name: "heat_index", longName: "heat index (NOAA, Rothfusz)", units: "K", standardName: "heat_index_of_air_temperature"),
            ChannelMetadata(name: "r2m", longName: "2 m relative humidity", units: "%", standardName: "relative_humidity"),
        ]
        return Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0) })
    }()

    private static let levelQuantities: [Character: (longName: String, units: String, standardName: String)] = [
        "u": ("eastward wind", "m s-1", "eastward_wind"),
        "v": ("northward wind", "m s-1", "northward_wind"),
        "z": ("geopotential", "m2 s-2", "geopotential"),
        "t": ("temperature", "K", "air_temperature"),
        "q": ("specific humidity", "kg kg-1", "specific_humidity"),
        "r": ("relative humidity", "%", "relative_humidity"),   // derived (`output.derived`)
    ]

    /// `ws10m`, `ws100m`, `ws500`, `ws`: the derived wind speed of a u/v pair.
    private static func windSpeed(_ name: String) -> ChannelMetadata? {
        let suffix = name.dropFirst(2)
        let level = Int(suffix).map { "at \($0) hPa" }
        let height = suffix.hasSuffix("m") && Int(suffix.dropLast()) != nil ? "at \(suffix.dropLast()) m" : nil
        guard suffix.isEmpty || level != nil || height != nil else { return nil }
        return ChannelMetadata(name: name, longName: (["wind speed"] + [level ?? height].compactMap { $0 }).joined(separator: " "),
                               units: "m s-1", standardName: "wind_speed")
    }

    /// `u500`, `z850`, …: a quantity letter and a HENS pressure level.
    private static func pressureLevel(_ name: String) -> ChannelMetadata? {
        guard let letter = name.first, let quantity = levelQuantities[letter],
              let level = Int(name.dropFirst()), pressureLevels.contains(level) else { return nil }
        return ChannelMetadata(name: name, longName: "\(quantity.longName) at \(level) hPa", units: quantity.units,
                               standardName: quantity.standardName)
    }

    /// Doubles the exponent of every factor of a UDUNITS product of powers (`kg m-2` → `kg2 m-4`).
    static func squared(_ units: String) -> String {
        if units == "1" { return "1" }
        if units == "%" { return "1e-4" }   // (0.01)²: UDUNITS has no percent squared
        return units.split(separator: " ").map { factor -> String in
            let symbol = factor.prefix { $0.isLetter }
            let exponent = Int(factor.dropFirst(symbol.count)) ?? 1
            return "\(symbol)\(exponent * 2)"
        }.joined(separator: " ")
    }
}
