import Foundation
import MPI
import Storage

/// Parallel HDF5: a chunked, deflated dataset written collectively (uneven row split, and a dataset
/// where one rank writes nothing), an independent write, attributes; read back serially by rank 0 and
/// in parallel by every rank (each reading its neighbour's rows).
enum HDF5SelfTest {
    static let columns = (6, 8)

    static func expected(row: Int, j: Int, k: Int) -> Float { Float(row * 1000 + j * 10 + k) }

    static func run(_ checks: SelfTestChecks, directory: String) throws {
        let world = checks.world
        let path = URL(fileURLWithPath: directory).appendingPathComponent("myriad-selftest-hdf5-\(world.size).h5").path
        let rows = 4 * world.size + 3
        let sparseRows = world.size - 1
        let (nj, nk) = columns

        // MARK: Write (collective)
        do {
            let file = try HDF5File.create(path, communicator: world)
            try file.setAttribute("title", "Myriad parallel HDF5 self-test")
            let fields = try file.createDataset("fields", of: Float.self, shape: [rows, nj, nk],
                                                options: DatasetOptions(chunks: [1, nj, nk], deflateLevel: 4, shuffle: true))
            try fields.setAttribute("units", "K")
            try fields.setAttribute("scale", [1.5, 2.5])
            let mine = splitRange(rows, parts: world.size, index: world.rank)
            let slab: [Float] = mine.flatMap { row in (0..<nj).flatMap { j in (0..<nk).map { expected(row: row, j: j, k: $0) } } }
            try fields.write(slab, offset: [mine.lowerBound, 0, 0], count: [mine.count, nj, nk], transfer: .collective)

            // One row per rank except the last, which takes part with an empty selection.
            let sparse = try file.createDataset("sparse", of: Double.self, shape: [sparseRows, 5],
                                                options: DatasetOptions(chunks: [1, 5], deflateLevel: 1))
            let hasRow = world.rank < sparseRows
            try sparse.write(hasRow ? (0..<5).map { Double(world.rank) + Double($0) / 8 } : [],
                             offset: [hasRow ? world.rank : 0, 0], count: [hasRow ? 1 : 0, 5], transfer: .collective)

            let ranks = try file.createDataset("ranks", of: Int64.self, shape: [world.size])
            try ranks.write([Int64(world.rank * world.rank)], offset: [world.rank], count: [1], transfer: .independent)
        }
        try world.barrier()

        // MARK: Read back serially on rank 0
        if world.isRoot {
            let file = try HDF5File.open(path)
            checks.expect(try file.attribute("title") == "Myriad parallel HDF5 self-test", "file attribute")
            let fields = try file.openDataset("fields")
            checks.expectEqual(fields.shape, [rows, nj, nk], "fields shape")
            checks.expectEqual(fields.chunks ?? [], [1, nj, nk], "fields chunks")
            checks.expectEqual(fields.filters, ["shuffle", "deflate"], "fields filters")
            checks.expect(try fields.attribute("units") == "K", "units attribute")
            checks.expectEqual(try fields.attribute("scale", as: Double.self), [1.5, 2.5], "numeric attribute")
            let all = try fields.read(Float.self)
            let want: [Float] = (0..<rows).flatMap { row in (0..<nj).flatMap { j in (0..<nk).map { expected(row: row, j: j, k: $0) } } }
            checks.expectEqual(all, want, "fields read back")
            let sparse = try file.openDataset("sparse").read(Double.self)
            checks.expectEqual(sparse, (0..<sparseRows).flatMap { r in (0..<5).map { Double(r) + Double($0) / 8 } },
                               "sparse read back")
            checks.expectEqual(try file.openDataset("ranks").read(Int64.self), (0..<world.size).map { Int64($0 * $0) },
                               "independent writes read back")
        }
        try world.barrier()

        // MARK: Read in parallel: each rank its right neighbour's rows
        do {
            let file = try HDF5File.open(path, communicator: world)
            let fields = try file.openDataset("fields")
            let neighbour = splitRange(rows, parts: world.size, index: (world.rank + 1) % world.size)
            let got = try fields.read(Float.self, offset: [neighbour.lowerBound, 0, 0], count: [neighbour.count, nj, nk],
                                      transfer: .collective)
            let want: [Float] = neighbour.flatMap { row in (0..<nj).flatMap { j in (0..<nk).map { expected(row: row, j: j, k: $0) } } }
            checks.expectEqual(got, want, "collective read of the neighbour's rows")
        }
        try world.barrier()
        if world.isRoot { try? FileManager.default.removeItem(atPath: path) }
        try netCDF(checks, directory: directory)
    }

    /// The netCDF-4/CF value of member m at (i, j).
    static func temperature(member: Int, i: Int, j: Int) -> Float { Float(100 * member + 10 * i + j) }

    /// A netCDF-4/CF file written collectively (members split unevenly over the ranks), checked here
    /// through HDF5 and left in `directory` as `myriad-selftest-netcdf-N.nc` for the test to open with xarray.
    static func netCDF(_ checks: SelfTestChecks, directory: String) throws {
        let world = checks.world
        let path = URL(fileURLWithPath: directory).appendingPathComponent("myriad-selftest-netcdf-\(world.size).nc").path
        let members = 2 * world.size + 1
        let (nlat, nlon) = columns
        do {
            let file = try NetCDFFile(creating: path, communicator: world,
                                      attributes: [("title", .text("Myriad netCDF self-test"))])
            try file.defineCoordinate("member", values: (0..<members).map { Int64($0) })
            try file.defineCoordinate("lat", values: (0..<nlat).map { 75 - 30 * Double($0) },
                                      attributes: [("units", .text("degrees_north"))])
            try file.defineCoordinate("lon", values: (0..<nlon).map { 45 * Double($0) },
                                      attributes: [("units", .text("degrees_east"))])
            let t2m = try file.defineVariable("t2m", of: Float.self, dimensions: ["member", "lat", "lon"], fillValue: .nan,
                                              options: DatasetOptions(chunks: [1, nlat, nlon], deflateLevel: 1),
                                              attributes: [("units", .text("K"))])
            let mine = splitRange(members, parts: world.size, index: world.rank)
            let slab = mine.flatMap { m in (0..<nlat).flatMap { i in (0..<nlon).map { temperature(member: m, i: i, j: $0) } } }
            try t2m.write(slab, offset: [mine.lowerBound, 0, 0], count: [mine.count, nlat, nlon], transfer: .collective)
        }
        try world.barrier()
        if world.isRoot {
            let file = try HDF5File.open(path)
            let want = (0..<members).flatMap { m in (0..<nlat).flatMap { i in (0..<nlon).map { temperature(member: m, i: i, j: $0) } } }
            checks.expectEqual(try file.openDataset("t2m").read(Float.self), want, "netCDF variable read back")
            checks.expect(try file.openDataset("lat").isDimensionScale, "lat is a dimension scale")
            checks.expectEqual(try file.openDataset("member").read(Int64.self), (0..<members).map { Int64($0) },
                               "coordinate written once")
        }
        try world.barrier()
    }
}
