import MPI

/// A netCDF-4 file with CF metadata, written through HDF5 by one rank or collectively by many.
///
/// netCDF-4 (and so xarray, with either the netcdf4 or the h5netcdf engine) reads an HDF5 file as its own
/// when (REFERENCE.md §7):
/// - link and attribute creation order are tracked (`HDF5File.create` does this for the file, and
///   `HDF5Group`/`createDataset` for groups and datasets);
/// - every dimension is a dimension scale, stored as a coordinate variable named like the dimension, and
///   every variable has a scale attached to each of its axes;
/// - `_FillValue` has the variable's own type.
///
/// Times follow CF: `units = "hours since 1970-01-01 00:00:00"`, `calendar = "proleptic_gregorian"`; lead
/// times are hours with xarray's `dtype = "timedelta64[ns]"` hint, so xarray decodes them as timedeltas.
///
/// Under MPI-IO every definition is collective: call them in the same order with the same arguments on
/// every rank; only the data written into the variables differs. The file closes when this object and
/// the variables it returned are released; under MPI-IO (where HDF5 refuses to close a file that still
/// has open objects) release the variables first.
public final class NetCDFFile: @unchecked Sendable {
    public let file: HDF5File
    private var coordinates: [String: HDF5Dataset] = [:]

    // The coordinate datasets must close before the file: stored properties are released in declaration
    // order, after this body.
    deinit { coordinates.removeAll() }

    /// Creates (or overwrites) `path` with the global attributes `Conventions = "CF-1.8"` and `attributes`.
    public init(creating path: String, communicator: Communicator? = nil,
                attributes: [(String, NetCDFAttribute)] = []) throws {
        file = try HDF5File.create(path, communicator: communicator)
        try file.setAttribute("Conventions", "CF-1.8")
        for (name, value) in attributes { try value.write(name, on: file) }
    }

    /// Defines dimension `name` with its coordinate values (written now; collective under MPI-IO, where
    /// rank 0 writes the values).
    public func defineCoordinate<T: HDF5Scalar>(_ name: String, values: [T],
                                                attributes: [(String, NetCDFAttribute)] = []) throws {
        precondition(coordinates[name] == nil, "NetCDFFile: dimension \(name) is defined twice")
        let dataset = try file.createDataset(name, of: T.self, shape: [values.count])
        let writes = file.communicator.map { $0.rank == 0 } ?? true
        try dataset.write(writes ? values : [], offset: [0], count: [writes ? values.count : 0],
                          transfer: file.communicator == nil ? .independent : .collective)
        for (key, value) in attributes { try value.write(key, on: dataset) }
        try dataset.makeDimensionScale(name: name)
        coordinates[name] = dataset
    }

    /// Length of a defined dimension.
    public func length(of dimension: String) -> Int? { coordinates[dimension]?.shape.first }

    /// Defines a variable over `dimensions` (already defined, outermost first), with `_FillValue`, and
    /// returns the dataset to write into (hyperslabs, collective under MPI-IO).
    ///
    /// With `fillAttribute: false` the fill value is only the HDF5 storage default and no `_FillValue`
    /// is written: for integer variables whose every value is meaningful (counts, indices, flags), which
    /// xarray would otherwise mask and decode as float64.
    public func defineVariable<T: HDF5Scalar>(_ name: String, of type: T.Type, dimensions: [String],
                                              fillValue: T, fillAttribute: Bool = true,
                                              options: DatasetOptions = DatasetOptions(),
                                              attributes: [(String, NetCDFAttribute)] = []) throws -> HDF5Dataset {
        let scales = try dimensions.map { dimension -> HDF5Dataset in
            guard let scale = coordinates[dimension] else {
                throw HDF5ContentError(file: file.filePath, object: name,
                                       problem: "uses dimension \(dimension), which is not defined; define it with defineCoordinate first")
            }
            return scale
        }
        let dataset = try file.createDataset(name, of: T.self, shape: scales.map { $0.shape[0] }, options: options,
                                             fillValue: fillValue)
        if fillAttribute { try dataset.setAttribute("_FillValue", fillValue) }
        for (key, value) in attributes { try value.write(key, on: dataset) }
        for (axis, scale) in scales.enumerated() { try dataset.attach(scale: scale, toDimension: axis) }
        return dataset
    }
}

/// A netCDF attribute value.
public enum NetCDFAttribute: Sendable {
    case text(String)
    case double(Double)
    case doubles([Double])
    case float(Float)
    case integer(Int64)
    /// 32-bit integers, e.g. `flag_values` of an Int32 variable (CF: of the variable's own type).
    case int32s([Int32])

    func write(_ name: String, on location: HDF5Location) throws {
        switch self {
        case .text(let value): try location.setAttribute(name, value)
        case .double(let value): try location.setAttribute(name, value)
        case .doubles(let values): try location.setAttribute(name, values)
        case .float(let value): try location.setAttribute(name, value)
        case .integer(let value): try location.setAttribute(name, value)
        case .int32s(let values): try location.setAttribute(name, values)
        }
    }
}

extension NetCDFAttribute {
    /// CF units of valid times: hours since the Unix epoch, proleptic Gregorian calendar.
    public static let hoursSinceEpoch: [(String, NetCDFAttribute)] = [
        ("units", .text("hours since 1970-01-01 00:00:00")), ("calendar", .text("proleptic_gregorian")),
        ("standard_name", .text("time")),
    ]
    /// Lead times in hours, decoded by xarray as timedeltas.
    public static let leadTimeHours: [(String, NetCDFAttribute)] = [
        ("units", .text("hours")), ("long_name", .text("forecast lead time")),
        ("standard_name", .text("forecast_period")), ("dtype", .text("timedelta64[ns]")),
    ]
    /// The ensemble axis: CF's `realization` (the member index; statistics over it name it in
    /// `cell_methods` as `realization: mean` and so on).
    public static let realization: [(String, NetCDFAttribute)] = [
        ("standard_name", .text("realization")), ("units", .text("1")),
    ]
    /// A dimensionless quantity (a share, a ratio, a probability).
    public static let dimensionless: [(String, NetCDFAttribute)] = [("units", .text("1"))]
}
