import Storage

/// One ensemble statistic of a variable as it appears in statistics.h5 (`<v>_<name>`): its axes, long name,
/// CF cell method, units, when it exists, and how it is computed from the slab's per-point statistics.
/// `StatisticDescriptor.table` drives the file's definitions and the per-lead writes (docs/statistics.md).
struct StatisticDescriptor: Sendable {
    enum Axis: Sendable {
        /// `[time, lead_time, lat, lon]` float32
        case field
        /// `[threshold_<v>, time, lead_time, lat, lon]` float32
        case thresholdField
        /// `[quantile, time, lead_time, lat, lon]` float32
        case quantileField
        /// `[time, lead_time, wavenumber]` float64
        case spectrum
    }

    enum Units: Sendable {
        /// The variable's units and standard name: the statistic is a value of the quantity (mean, min, …).
        case quantity
        /// The variable's units only (a standard deviation is not the quantity).
        case variable
        case squared
        case dimensionless
    }

    /// The settings or inputs a statistic needs to exist.
    enum Condition: Sendable { case always, thresholds, quantiles, climate, spectra }

    let name: String
    let axis: Axis
    let longName: @Sendable (_ variable: String) -> String
    /// CF `cell_methods` over the ensemble axis, named by its standard name `realization`; nil: none.
    let cellMethod: String?
    let units: Units
    let condition: Condition
    /// Attributes of the statistic's own parameters from the settings (the k of ±kσ), after the cell method.
    var parameters: @Sendable (StatisticsSettings) -> [(String, NetCDFAttribute)] = { _ in [] }
    /// Per point of a slab, [threshold or level][point] for the axes that have one; nil: computed by code of
    /// its own (the EFI from the climate file, the spectra by the SHT).
    let value: (@Sendable (SlabStatistics) -> [Double])?

    static let table: [StatisticDescriptor] = [
        moment("mean", "ensemble mean", method: "mean", .quantity) { $0.mean },
        moment("std", "ensemble standard deviation (ddof 1)", method: "standard_deviation", .variable) { $0.variance.map { $0.squareRoot() } },
        moment("min", "ensemble minimum", method: "minimum", .quantity) { $0.minimum },
        moment("max", "ensemble maximum", method: "maximum", .quantity) { $0.maximum },
        StatisticDescriptor(name: "beyond_ksigma", axis: .field, longName: { "share of members with |x - mean| > k std of \($0)" },
                            cellMethod: nil, units: .dimensionless, condition: .always, parameters: { [("k", .double($0.kSigma))] },
                            value: { $0.beyondKSigma }),
        StatisticDescriptor(name: "exceedance", axis: .thresholdField, longName: { "share of members above the threshold, \($0)" },
                            cellMethod: nil, units: .dimensionless, condition: .thresholds, value: { $0.exceedance }),
        // CF 1.8 has no quantile cell method: the level is the `quantile` coordinate.
        StatisticDescriptor(name: "quantile", axis: .quantileField,
                            longName: { "ensemble quantiles of \($0) over realization, at the levels of coordinate quantile" },
                            cellMethod: nil, units: .quantity, condition: .quantiles, value: { $0.quantiles }),
        efi, spectrumMembers, spectrumMean,
    ]

    /// Computed by code of their own, written under these descriptors' names.
    static let efi = StatisticDescriptor(name: "efi", axis: .field, longName: { "extreme forecast index of \($0)" }, cellMethod: nil,
                                         units: .dimensionless, condition: .climate, value: nil)
    static let spectrumMembers = StatisticDescriptor(name: "spectrum_members", axis: .spectrum,
                                                     longName: { "mean angular power spectrum of the members of \($0)" },
                                                     cellMethod: "realization: mean", units: .squared, condition: .spectra, value: nil)
    static let spectrumMean = StatisticDescriptor(name: "spectrum_mean", axis: .spectrum,
                                                  longName: { "angular power spectrum of the ensemble mean of \($0)" },
                                                  cellMethod: nil, units: .squared, condition: .spectra, value: nil)

    private static func moment(_ name: String, _ description: String, method: String, _ units: Units,
                               _ value: @escaping @Sendable (SlabStatistics) -> [Double]) -> StatisticDescriptor {
        StatisticDescriptor(name: name, axis: .field, longName: { "\(description) of \($0)" }, cellMethod: "realization: \(method)",
                            units: units, condition: .always, value: value)
    }

    func variableName(_ variable: String) -> String { "\(variable)_\(name)" }

    func dimensions(variable: String) -> [String] {
        switch axis {
        case .field: return ["time", "lead_time", "lat", "lon"]
        case .thresholdField: return ["threshold_\(variable)", "time", "lead_time", "lat", "lon"]
        case .quantileField: return ["quantile", "time", "lead_time", "lat", "lon"]
        case .spectrum: return ["time", "lead_time", "wavenumber"]
        }
    }

    /// Long name, cell method, the statistic's own parameters, then units.
    func attributes(variable: String, settings: StatisticsSettings) -> [(String, NetCDFAttribute)] {
        let metadata = ChannelMetadata.named(variable)
        let units: [(String, NetCDFAttribute)]
        switch self.units {
        case .quantity:
            units = metadata.map { [("units", NetCDFAttribute.text($0.units))] + ($0.standardName.map { [("standard_name", .text($0))] } ?? []) } ?? []
        case .variable: units = metadata.map { [("units", NetCDFAttribute.text($0.units))] } ?? []
        case .squared: units = metadata.map { [("units", NetCDFAttribute.text($0.squaredUnits))] } ?? []
        case .dimensionless: units = NetCDFAttribute.dimensionless
        }
        return [("long_name", .text(longName(variable)))] + (cellMethod.map { [("cell_methods", NetCDFAttribute.text($0))] } ?? []) + parameters(settings) + units
    }
}
