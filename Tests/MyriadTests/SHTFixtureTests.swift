import ComplexModule
import RealModule
import Foundation
@testable import Sphere
import Storage
import XCTest

/// The SHT against torch-harmonics 0.9.3 itself: fixtures written by `tools/fixtures/sht.py` (inputs and
/// torch-harmonics outputs, float32 and float64) for both grids, several sizes including odd ones,
/// natural, full and reduced truncations, batch > 1.
final class SHTFixtureTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/sht")

    func fixtures() throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path)
            .filter { $0.hasSuffix(".h5") }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 10, "SHT fixtures missing from \(Self.directory.path)")
        return names.map { Self.directory.appendingPathComponent($0).path }
    }

    /// Acceptance: every fixture, both directions, both grids: max relative error ≤ 2e-5 in float32.
    func testFloatAgainstTorchHarmonics() throws {
        for path in try fixtures() {
            let c = try FixtureCase(path: path)
            let sht = try RealSHT<Float>(grid: c.grid, nlat: c.nlat, nlon: c.nlon, lmax: c.lmax, mmax: c.mmax)
            let coefficients = sht.forward(try c.floats("fields"), batch: c.batch)
            let forwardError = maxRelativeError(coefficients, try c.complex("coefficients", Float.self))
            XCTAssertLessThanOrEqual(forwardError, 2e-5, "forward \(c.name)")
            let fields = sht.inverse(try c.complex("spectral_input", Float.self), batch: c.batch)
            let inverseError = maxRelativeError(fields, try c.floats("synthesised"))
            XCTAssertLessThanOrEqual(inverseError, 2e-5, "inverse \(c.name)")
            print("SHT fixture \(c.name) float32: forward \(forwardError), inverse \(inverseError) max relative error")

            // The first field alone: one field takes other kernels (functions on the fly, `LegendreRecurrence`).
            let fieldSize = c.nlat * c.nlon, spectrumSize = c.lmax * c.mmax
            XCTAssertNotNil(sht.table.seeds, "\(c.name): one Float field computes its functions on the fly")
            let one = sht.forward(Array(try c.floats("fields")[0..<fieldSize]), batch: 1)
            let oneForward = maxRelativeError(one, Array(try c.complex("coefficients", Float.self)[0..<spectrumSize]))
            XCTAssertLessThanOrEqual(oneForward, 2e-5, "forward \(c.name), one field")
            let oneField = sht.inverse(Array(try c.complex("spectral_input", Float.self)[0..<spectrumSize]), batch: 1)
            let oneInverse = maxRelativeError(oneField, Array(try c.floats("synthesised")[0..<fieldSize]))
            XCTAssertLessThanOrEqual(oneInverse, 2e-5, "inverse \(c.name), one field")
        }
    }

    /// The same transforms in float64 against torch-harmonics run in float64.
    func testDoubleAgainstTorchHarmonics() throws {
        for path in try fixtures() {
            let c = try FixtureCase(path: path)
            let sht = try RealSHT<Double>(grid: c.grid, nlat: c.nlat, nlon: c.nlon, lmax: c.lmax, mmax: c.mmax)
            let coefficients = sht.forward(try c.floats("fields").map(Double.init), batch: c.batch)
            let reference = zip(try c.file.openDataset("coefficients_real_f64").read(Double.self),
                                try c.file.openDataset("coefficients_imag_f64").read(Double.self)).map { Complex($0, $1) }
            XCTAssertLessThanOrEqual(maxRelativeError(coefficients, reference), 1e-11, "forward f64 \(c.name)")
            let input = try c.complex("spectral_input", Float.self).map { Complex(Double($0.real), Double($0.imaginary)) }
            let fields = sht.inverse(input, batch: c.batch)
            XCTAssertLessThanOrEqual(maxRelativeError(fields, try c.file.openDataset("synthesised_f64").read(Double.self)),
                                     1e-11, "inverse f64 \(c.name)")
        }
    }

    /// Our quadrature against torch-harmonics' (its cos θ run south → north; ours north → south).
    func testQuadratureAgainstTorchHarmonics() throws {
        for path in try fixtures() {
            let c = try FixtureCase(path: path)
            let q = Quadrature(grid: c.grid, nlat: c.nlat)
            let cosTheta = try c.file.openDataset("cos_theta").read(Double.self)
            let weights = try c.file.openDataset("quadrature_weights").read(Double.self)
            for k in 0..<c.nlat {
                XCTAssertEqual(q.cosTheta[k], cosTheta[c.nlat - 1 - k], accuracy: 1e-14, "\(c.name) node \(k)")
                XCTAssertEqual(q.weights[k], weights[c.nlat - 1 - k], accuracy: 1e-14, "\(c.name) weight \(k)")
            }
        }
    }
}

private struct FixtureCase {
    let file: HDF5File
    let name: String
    let grid: SphereGrid
    let nlat: Int, nlon: Int, lmax: Int, mmax: Int, batch: Int

    init(path: String) throws {
        file = try HDF5File.open(path)
        name = URL(fileURLWithPath: path).lastPathComponent
        let gridName: String = try file.attribute("grid")
        guard let grid = SphereGrid(rawValue: gridName) else { throw SphereError("unknown grid \(gridName) in \(path)") }
        self.grid = grid
        nlat = Int(try file.attribute("nlat", as: Int64.self)[0])
        nlon = Int(try file.attribute("nlon", as: Int64.self)[0])
        lmax = Int(try file.attribute("lmax", as: Int64.self)[0])
        mmax = Int(try file.attribute("mmax", as: Int64.self)[0])
        batch = Int(try file.attribute("batch", as: Int64.self)[0])
    }

    func floats(_ dataset: String) throws -> [Float] { try file.openDataset(dataset).read(Float.self) }

    func complex<T: HDF5Scalar & Real>(_ prefix: String, _ type: T.Type) throws -> [Complex<T>] {
        zip(try file.openDataset("\(prefix)_real").read(T.self), try file.openDataset("\(prefix)_imag").read(T.self))
            .map { Complex($0, $1) }
    }
}
