import Foundation
import MPI
import Storage

/// The model climate of the extreme forecast index, built from Myriad's own runs (HENS's `mclimate` step):
/// at every point, variable and lead time, Q quantiles at `p_j = j/(Q − 1)` (numpy's "linear") of the pool
/// of every valid member of every initial time of the input members files, at every lead within
/// ±`leadWindowHours` of that lead — ECMWF's M-climate: reforecasts from dates around the forecast date,
/// pooled over a window of leads, so the climate has the model's own drift and resolution at each lead.
///
/// Inputs are members files as `myriad run` writes them (`<v>[ensemble, time, lead_time, lat, lon]`,
/// `member_valid[ensemble, time]`); several files (runs of different reforecast dates) must share
/// variables, leads and grid. The output is the file `InSituStatistics` reads (`ExtremeForecastIndexSettings`):
/// netCDF-4, per variable `<v>[lead_time, quantile, lat, lon]` float32, with the coordinates `lead_time`
/// (hours), `quantile` (the levels p_j), `lat`, `lon`.
///
/// Distribution: latitude rows split over the ranks (`splitRange`); each rank reads its rows of every input
/// and writes its rows collectively, so the file is the same at any rank count (each point's quantiles
/// depend on that point's pool alone). Memory per rank: one variable's rows of one input, all members,
/// times and leads, float32, plus one point's pool.
public struct ModelClimate {
    public let inputs: [String]
    /// Q ≥ 2 quantiles.
    public let quantileCount: Int
    /// Leads within ± this many hours of a lead are pooled into its climate (0: each lead alone).
    public let leadWindowHours: Double

    public init(inputs: [String], quantileCount: Int = 101, leadWindowHours: Double = 0) {
        precondition(!inputs.isEmpty && quantileCount >= 2 && leadWindowHours >= 0,
                     "ModelClimate: needs inputs, Q ≥ 2 and a window ≥ 0")
        self.inputs = inputs
        self.quantileCount = quantileCount
        self.leadWindowHours = leadWindowHours
    }

    /// What the inputs hold (the same in each).
    public struct Layout: Equatable, Sendable {
        public var variables: [String]
        public var leadHours: [Double]
        public var latitudes: [Double]
        public var longitudes: [Double]
    }

    /// Reads the variables, leads and grid of every input; they must agree.
    public func layout() throws -> Layout {
        var first: Layout?
        for path in inputs {
            let file: HDF5File
            do { file = try HDF5File.open(path) } catch {
                throw StatisticsFileError(path: path, problem: "cannot be read as a members file (\(error)); give the members.h5 of a myriad run, or its output directory")
            }
            for name in ["lead_time", "lat", "lon", "member_valid"] where !file.contains(name) {
                throw StatisticsFileError(path: path, problem: "has no '\(name)': not a members file of myriad run; give the members.h5 of a run (output.members: true)")
            }
            let variables = try file.memberNames().filter { name in
                !["ensemble", "time", "lead_time", "lat", "lon", "checkpoint", "member_valid"].contains(name)
                    && (try? file.openDataset(name).shape.count) == 5
            }
            let layout = Layout(variables: variables, leadHours: try file.openDataset("lead_time").read(Double.self),
                                latitudes: try file.openDataset("lat").read(Double.self),
                                longitudes: try file.openDataset("lon").read(Double.self))
            guard let reference = first else { first = layout; continue }
            guard layout == reference else {
                throw StatisticsFileError(path: path, problem: "holds variables \(layout.variables), leads \(layout.leadHours) h on \(layout.latitudes.count) × \(layout.longitudes.count), but \(inputs[0]) holds \(reference.variables), \(reference.leadHours) h on \(reference.latitudes.count) × \(reference.longitudes.count); pool runs of one configuration (its output variables, lead_hours and grid) only")
            }
        }
        guard let layout = first, !layout.variables.isEmpty else {
            throw StatisticsFileError(path: inputs[0], problem: "holds no member variables")
        }
        return layout
    }

    /// Leads pooled into the climate of lead `l`.
    func window(_ l: Int, _ leads: [Double]) -> [Int] {
        leads.indices.filter { abs(leads[$0] - leads[l]) <= leadWindowHours + 1e-9 }
    }

    /// Builds the climate into `output` (collective over `communicator`): written as `output.partial`,
    /// renamed when complete. Returns the layout and the smallest pool size of any point.
    @discardableResult
    public func write(to output: String, communicator: Communicator) throws -> (layout: Layout, smallestPool: Int) {
        let layout = try layout()
        let folder = (output as NSString).deletingLastPathComponent
        guard FileManager.default.isWritableFile(atPath: folder.isEmpty ? "." : folder) else {
            throw StatisticsFileError(path: output, problem: "cannot be written: the folder \(folder.isEmpty ? "." : folder) does not exist or is not writable; create it or choose another --output")
        }
        let (nlat, nlon, leads) = (layout.latitudes.count, layout.longitudes.count, layout.leadHours)
        let rows = splitRange(nlat, parts: communicator.size, index: communicator.rank)
        let levels = (0..<quantileCount).map { Double($0) / Double(quantileCount - 1) }
        let partial = output + ".partial"
        var smallest = Int.max
        do {
            let file = try NetCDFFile(creating: partial, communicator: communicator, attributes: [
                ("title", .text("Myriad model climate (EFI)")),
                ("source", .text("myriad climate " + inputs.joined(separator: " "))),
                ("lead_window_hours", .double(leadWindowHours)),
                ("quantile_method", .text("numpy linear at p_j = j/(Q-1), pooled over every valid member, initial time and lead within lead_window_hours")),
            ])
            try file.defineCoordinate("lead_time", values: leads, attributes: NetCDFAttribute.leadTimeHours)
            try file.defineCoordinate("quantile", values: levels, attributes: [("long_name", .text("probability level of the climate quantile"))]
                                      + NetCDFAttribute.dimensionless)
            try file.defineCoordinate("lat", values: layout.latitudes, attributes: [("units", .text("degrees_north")), ("standard_name", .text("latitude"))])
            try file.defineCoordinate("lon", values: layout.longitudes, attributes: [("units", .text("degrees_east")), ("standard_name", .text("longitude"))])
            let sources = try inputs.map { try HDF5File.open($0) }
            for name in layout.variables {
                let metadata = ChannelMetadata.named(name)
                let dataset = try file.defineVariable(name, of: Float.self, dimensions: ["lead_time", "quantile", "lat", "lon"],
                                                      fillValue: Float.nan, options: DatasetOptions(chunks: [1, quantileCount, nlat, nlon]),
                                                      attributes: [("long_name", .text("model-climate quantiles of \(metadata?.longName ?? name)"))]
                                                          + (metadata?.attributes ?? []))
                // This rank's rows of every input: [ensemble][time][lead][row][lon] and member_valid[ensemble][time].
                var slabs: [(values: [Float], members: Int, times: Int, valid: [Int32])] = []
                for source in sources {
                    let d = try source.openDataset(name)
                    let s = d.shape
                    let values = rows.isEmpty ? [] : try d.read(Float.self, offset: [0, 0, 0, rows.lowerBound, 0],
                                                                count: [s[0], s[1], s[2], rows.count, nlon])
                    slabs.append((values, s[0], s[1], try source.openDataset("member_valid").read(Int32.self)))
                }
                for l in leads.indices {
                    let pooled = window(l, leads)
                    var quantiles = [Float](repeating: .nan, count: quantileCount * rows.count * nlon)
                    var pool = [Double]()
                    for r in 0..<rows.count {
                        for i in 0..<nlon {
                            pool.removeAll(keepingCapacity: true)
                            for slab in slabs {
                                for e in 0..<slab.members {
                                    for t in 0..<slab.times where slab.valid[e * slab.times + t] == 1 {
                                        for k in pooled {
                                            let value = slab.values[(((e * slab.times + t) * leads.count + k) * rows.count + r) * nlon + i]
                                            if value.isFinite { pool.append(Double(value)) }
                                        }
                                    }
                                }
                            }
                            smallest = min(smallest, pool.count)
                            guard pool.count >= 2 else { continue }
                            pool.sort()
                            pool.withUnsafeBufferPointer { x in
                                for (j, p) in levels.enumerated() {
                                    quantiles[(j * rows.count + r) * nlon + i] = Float(SortedEnsemble.quantile(x, p))
                                }
                            }
                        }
                    }
                    try dataset.write(quantiles, offset: [l, 0, rows.lowerBound, 0], count: [1, quantileCount, rows.count, nlon],
                                      transfer: .collective)
                }
            }
            try file.file.flush()
        }
        smallest = Int(try communicator.allreduced(Int64(smallest == Int.max ? 0 : smallest), .min))
        try communicator.barrier()
        if smallest < 2 {
            if communicator.rank == 0 { unlink(partial) }
            throw StatisticsFileError(path: output, problem: "not written: some points have fewer than 2 valid values to pool; pool more runs or a wider lead window")
        }
        try communicator.agreeing {
            if communicator.rank == 0 && rename(partial, output) != 0 {
                throw StatisticsFileError(path: output, problem: "cannot rename \(partial) to it: \(String(cString: strerror(errno)))")
            }
        }
        return (layout, smallest)
    }
}
