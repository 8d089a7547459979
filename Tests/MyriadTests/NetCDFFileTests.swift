import Foundation
import Storage
import XCTest

/// A members-shaped file written by `NetCDFFile` and read back by xarray with both engines users have:
/// dimensions, coordinates, decoded times and lead times, values and fill values must come out as written.
final class NetCDFFileTests: XCTestCase {
    func testXarrayReadsMembersLayout() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("netcdf-\(UUID().uuidString).nc").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (members, times, leads, nlat, nlon) = (3, 2, 4, 5, 8)
        do {
            let file = try NetCDFFile(creating: path, attributes: [("title", .text("Myriad test"))])
            try file.defineCoordinate("ensemble", values: (0..<members).map { Int64($0) },
                                      attributes: [("long_name", .text("member"))])
            // 2023-06-01T00 and T12 in hours since the epoch.
            try file.defineCoordinate("time", values: [468_216.0, 468_228.0], attributes: NetCDFAttribute.hoursSinceEpoch)
            try file.defineCoordinate("lead_time", values: (0..<leads).map { Double(6 * $0) },
                                      attributes: NetCDFAttribute.leadTimeHours)
            try file.defineCoordinate("lat", values: (0..<nlat).map { 90 - 45 * Double($0) },
                                      attributes: [("units", .text("degrees_north")), ("standard_name", .text("latitude"))])
            try file.defineCoordinate("lon", values: (0..<nlon).map { 45 * Double($0) },
                                      attributes: [("units", .text("degrees_east")), ("standard_name", .text("longitude"))])
            let height = try file.defineVariable(
                "height", of: Float.self, dimensions: ["ensemble", "time", "lead_time", "lat", "lon"],
                fillValue: .nan, options: DatasetOptions(chunks: [1, 1, 1, nlat, nlon], deflateLevel: 1),
                attributes: [("units", .text("m")), ("long_name", .text("fluid height"))])
            // Every member but the last: value = 10000·member + 1000·time + 100·lead + 10·lat + lon.
            var values = [Float]()
            for e in 0..<(members - 1) { for t in 0..<times { for l in 0..<leads { for i in 0..<nlat { for j in 0..<nlon {
                values.append(Float(10000 * e + 1000 * t + 100 * l + 10 * i + j))
            } } } } }
            try height.write(values, offset: [0, 0, 0, 0, 0], count: [members - 1, times, leads, nlat, nlon])
        }
        let script = """
        import sys, numpy as np, xarray as xr
        for engine in ("netcdf4", "h5netcdf"):
            ds = xr.open_dataset(sys.argv[1], engine=engine)
            h = ds["height"]
            assert h.dims == ("ensemble", "time", "lead_time", "lat", "lon"), h.dims
            assert str(ds.time.values[1]) .startswith("2023-06-01T12"), ds.time.values
            assert ds.lead_time.dtype.kind == "m", ds.lead_time.dtype
            assert ds.lead_time.values[3] == np.timedelta64(18, "h"), ds.lead_time.values
            assert float(h.sel(ensemble=1, lat=45.0, lon=90.0).isel(time=1, lead_time=2)) == 10000 + 1000 + 200 + 10 + 2
            assert bool(np.isnan(h.isel(ensemble=2)).all()), "unwritten member reads as the fill value"
            assert h.attrs["units"] == "m" and ds.attrs["Conventions"] == "CF-1.8"
            print(engine, "ok")
        """
        let output = try PythonReader.run(script, arguments: [path])
        XCTAssertEqual(output.split(separator: "\n"), ["netcdf4 ok", "h5netcdf ok"])
    }

    func testUndefinedDimensionIsRefused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("netcdf-\(UUID().uuidString).nc").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try NetCDFFile(creating: path)
        try file.defineCoordinate("lat", values: [0.0, 1.0])
        XCTAssertThrowsError(try file.defineVariable("t", of: Float.self, dimensions: ["lat", "lon"], fillValue: 0)) {
            XCTAssertTrue("\($0)".contains("dimension lon"), "\($0)")
        }
    }
}
