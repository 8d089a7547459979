import Foundation
import Storage
import XCTest

/// The HDF5 layer without MPI: types, shapes, hyperslabs, attributes, strings, compression and errors.
final class HDF5SerialTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try makeScratchDirectory("myriad-hdf5") }

    func testNumericDatasetsAndHyperslabs() throws {
        let path = directory.appendingPathComponent("numbers.h5").path
        do {
            let file = try HDF5File.create(path)
            let d = try file.createDataset("x", of: Double.self, shape: [3, 4])
            try d.write((0..<12).map(Double.init))
            try d.write([-1, -2], offset: [1, 1], count: [1, 2])
            let f = try file.createDataset("f", of: Float.self, shape: [2, 5],
                                           options: DatasetOptions(chunks: [1, 5], deflateLevel: 6, shuffle: true),
                                           fillValue: Float.nan)
            try f.write([1, 2, 3, 4, 5], offset: [0, 0], count: [1, 5])
            let group = try file.createGroup("meta")
            try group.createDataset("i32", of: Int32.self, shape: [3]).write([Int32.min, 0, Int32.max])
            try group.createDataset("i64", of: Int64.self, shape: [2]).write([Int64.min, Int64.max])
        }
        let file = try HDF5File.open(path)
        let d = try file.openDataset("x")
        XCTAssertEqual(d.shape, [3, 4])
        XCTAssertEqual(d.elementTypeName, "float64")
        XCTAssertNil(d.chunks)
        XCTAssertEqual(try d.read(Double.self), [0, 1, 2, 3, 4, -1, -2, 7, 8, 9, 10, 11])
        XCTAssertEqual(try d.read(Double.self, offset: [1, 2], count: [2, 2]), [-2, 7, 10, 11])
        // Reading float64 as float32 converts.
        XCTAssertEqual(try d.read(Float.self, offset: [2, 0], count: [1, 2]), [8, 9])
        let f = try file.openDataset("f")
        XCTAssertEqual(f.chunks, [1, 5])
        XCTAssertEqual(f.filters, ["shuffle", "deflate"])
        let values = try f.read(Float.self)
        XCTAssertEqual(Array(values.prefix(5)), [1, 2, 3, 4, 5])
        XCTAssertTrue(values.suffix(5).allSatisfy(\.isNaN), "unwritten chunk reads as the fill value")
        let meta = try file.openGroup("meta")
        XCTAssertEqual(try meta.openDataset("i32").read(Int32.self), [Int32.min, 0, Int32.max])
        XCTAssertEqual(try meta.openDataset("i64").read(Int64.self), [Int64.min, Int64.max])
        XCTAssertEqual(try file.memberNames(), ["f", "meta", "x"])
    }

    func testAttributesAndStrings() throws {
        let path = directory.appendingPathComponent("attributes.h5").path
        do {
            let file = try HDF5File.create(path)
            try file.setAttribute("Conventions", "CF-1.8")
            try file.setAttribute("title", "first")
            try file.setAttribute("title", "second, replaced")
            let d = try file.createDataset("v", of: Float.self, shape: [2])
            try d.setAttribute("valid_range", [Float(-1), 1])
            try d.setAttribute("count", Int64(42))
            try d.setAttribute("long_name", "Temperature à 2 m")
            try file.createStringDataset("channels", count: 3).writeStrings(["u10m", "t2m", "z500"])
        }
        let file = try HDF5File.open(path)
        XCTAssertEqual(try file.attribute("Conventions"), "CF-1.8")
        XCTAssertEqual(try file.attribute("title"), "second, replaced")
        let d = try file.openDataset("v")
        XCTAssertEqual(try d.attribute("valid_range", as: Float.self), [-1, 1])
        XCTAssertEqual(try d.attribute("count", as: Int64.self), [42])
        XCTAssertEqual(try d.attribute("count", as: Double.self), [42])
        XCTAssertEqual(try d.attribute("long_name"), "Temperature à 2 m")
        XCTAssertEqual(Set(try d.attributeNames()), ["valid_range", "count", "long_name"])
        XCTAssertEqual(try file.openDataset("channels").readStrings(), ["u10m", "t2m", "z500"])
    }

    func testDimensionScales() throws {
        let path = directory.appendingPathComponent("scales.h5").path
        let file = try HDF5File.create(path)
        let lat = try file.createDataset("lat", of: Double.self, shape: [3])
        try lat.write([90, 0, -90])
        try lat.makeDimensionScale(name: "lat")
        let field = try file.createDataset("t2m", of: Float.self, shape: [3])
        try field.attach(scale: lat, toDimension: 0)
        XCTAssertTrue(lat.isDimensionScale)
        XCTAssertFalse(field.isDimensionScale)
    }

    func testErrorsNameTheFileAndObject() throws {
        let missing = directory.appendingPathComponent("no/such/folder/out.h5").path
        XCTAssertThrowsError(try HDF5File.create(missing)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("cannot create file '\(missing)'"), text)
            XCTAssertTrue(text.contains("No such file or directory"), text)
        }
        let notHDF5 = directory.appendingPathComponent("text.h5")
        try "not an HDF5 file".write(to: notHDF5, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try HDF5File.open(notHDF5.path)) { error in
            XCTAssertTrue("\(error)".contains("cannot open file '\(notHDF5.path)'"), "\(error)")
        }
        let path = directory.appendingPathComponent("ok.h5").path
        let file = try HDF5File.create(path)
        XCTAssertThrowsError(try file.openDataset("fields")) { error in
            XCTAssertEqual("\(error)", "\(path): '/fields': no such dataset")
        }
        let d = try file.createDataset("x", of: Float.self, shape: [2, 3])
        XCTAssertThrowsError(try d.write([Float](repeating: 0, count: 5))) { error in
            XCTAssertTrue("\(error)".contains("given a buffer of 5"), "\(error)")
        }
        XCTAssertThrowsError(try d.read(Float.self, offset: [1, 0], count: [2, 3])) { error in
            XCTAssertTrue("\(error)".contains("lies outside the shape [2, 3]"), "\(error)")
        }
        XCTAssertThrowsError(try file.createDataset("y", of: Float.self, shape: [4],
                                                    options: DatasetOptions(deflateLevel: 4))) { error in
            XCTAssertTrue("\(error)".contains("deflate needs a chunk shape"), "\(error)")
        }
        XCTAssertThrowsError(try d.attribute("units") as String) { error in
            XCTAssertTrue("\(error)".contains("'/x@units': no such attribute"), "\(error)")
        }
        XCTAssertThrowsError(try HDF5File.create(path, existing: .fail)) { error in
            XCTAssertTrue("\(error)".contains("cannot create file '\(path)'"), "\(error)")
        }
    }
}
