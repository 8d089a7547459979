import ComplexModule
import Foundation
import RealModule
import Sphere
import Storage
import XCTest

/// The vector SHT and the scalar `csphase=False` convention against torch-harmonics 0.9.3: fixture
/// `Fixtures/swe/vector-sht.h5` written by `tools/fixtures/swe.py` (float64, both grids, csphase on and off).
final class VectorSHTFixtureTests: XCTestCase {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/swe/vector-sht.h5").path

    func cases() throws -> [(HDF5Group, String)] {
        let file = try HDF5File.open(Self.path)
        let names = try file.memberNames().sorted()
        XCTAssertEqual(names.count, 4, "vector SHT fixture \(Self.path) should hold 4 cases; regenerate with tools/fixtures/swe.py")
        return try names.map { (try file.openGroup($0), $0) }
    }

    /// Forward and inverse vector SHT in float64: max relative error ≤ 1e-12 of the largest value.
    func testVectorSHTAgainstTorchHarmonics() throws {
        for (group, name) in try cases() {
            let grid = SphereGrid(rawValue: try group.attribute("grid"))!
            let csphase = try group.attribute("csphase", as: Int64.self)[0] != 0
            let nlat = Int(try group.attribute("nlat", as: Int64.self)[0])
            let nlon = Int(try group.attribute("nlon", as: Int64.self)[0])
            let lmax = Int(try group.attribute("lmax", as: Int64.self)[0])
            let batch = Int(try group.attribute("batch", as: Int64.self)[0])
            let vsht = try RealVectorSHT<Double>(grid: grid, nlat: nlat, nlon: nlon, condonShortleyPhase: csphase,
                                                 degreeNormalisation: .torchHarmonics)
            XCTAssertEqual(vsht.lmax, lmax, "default truncation \(name)")
            let coefficients = vsht.forward(try group.openDataset("fields").read(Double.self), batch: batch)
            let forwardError = maxRelativeError(coefficients, try complex(group, "coefficients"))
            XCTAssertLessThanOrEqual(forwardError, 1e-12, "vector forward \(name)")
            let fields = vsht.inverse(try complex(group, "spectral_input"), batch: batch)
            let inverseError = maxRelativeError(fields, try group.openDataset("synthesised").read(Double.self))
            XCTAssertLessThanOrEqual(inverseError, 1e-12, "vector inverse \(name)")
            // The exact 1/(l(l+1)) differs from torch-harmonics' float32-rounded one by up to ~6e-8.
            let exact = try RealVectorSHT<Double>(grid: grid, nlat: nlat, nlon: nlon, condonShortleyPhase: csphase)
            let exactError = maxRelativeError(exact.forward(try group.openDataset("fields").read(Double.self), batch: batch),
                                              try complex(group, "coefficients"))
            XCTAssertLessThanOrEqual(exactError, 1e-7, "exact-normalisation vector forward \(name)")

            // Float precision on the same data: torch-harmonics' float64 result to float32 round-off.
            let vshtFloat = try RealVectorSHT<Float>(grid: grid, nlat: nlat, nlon: nlon, condonShortleyPhase: csphase)
            let floatCoefficients = vshtFloat.forward(try group.openDataset("fields").read(Double.self).map(Float.init), batch: batch)
            let floatError = maxRelativeError(floatCoefficients.map { Complex(Double($0.real), Double($0.imaginary)) },
                                              try complex(group, "coefficients"))
            XCTAssertLessThanOrEqual(floatError, 2e-5, "vector forward float32 \(name)")

            // Scalar SHT with torch-harmonics' csphase flag: RealSHT plus the (−1)^m toggle when csphase is off.
            let sht = try RealSHT<Double>(grid: grid, nlat: nlat, nlon: nlon)
            let all = try group.openDataset("fields").read(Double.self)
            let n = nlat * nlon
            let first = (0..<batch).flatMap { b in all[(2 * b * n)..<((2 * b + 1) * n)] }
            var scalar = sht.forward(first, batch: batch)
            if !csphase { toggleCondonShortleyPhase(&scalar, lmax: sht.lmax, mmax: sht.mmax) }
            XCTAssertLessThanOrEqual(maxRelativeError(scalar, try complex(group, "scalar_coefficients")), 1e-12,
                                     "scalar csphase=\(csphase) \(name)")
            print("vector SHT \(name): forward \(forwardError), inverse \(inverseError), float32 forward \(floatError)")
        }
    }

    /// Round trip: the vector transform of a synthesised field gives back its coefficients (l ≥ 1; the l = 0
    /// vector harmonics vanish).
    func testVectorRoundTrip() throws {
        for grid in SphereGrid.allCases {
            let (nlat, nlon) = grid == .equiangular ? (49, 96) : (32, 64)
            let vsht = try RealVectorSHT<Double>(grid: grid, nlat: nlat, nlon: nlon, condonShortleyPhase: false)
            var random = SystemRandomNumberGenerator()
            var input = [Complex<Double>](repeating: .zero, count: 2 * 2 * vsht.lmax * vsht.mmax)
            for index in input.indices {
                let l = (index / vsht.mmax) % vsht.lmax, m = index % vsht.mmax
                guard l >= 1, m <= l else { continue }
                input[index] = Complex(Double.random(in: -1...1, using: &random),
                                       m == 0 ? 0 : Double.random(in: -1...1, using: &random))
            }
            let back = vsht.forward(vsht.inverse(input, batch: 2), batch: 2)
            XCTAssertLessThanOrEqual(maxRelativeError(back, input), 1e-12, "vector round trip \(grid)")
            // Batch 3 takes the GEMM path (batches of 1 and 2 the SIMD panel loops): the same numbers.
            let half = input.count / 2
            let triple = Array(input[half...]) + input
            let fields = vsht.inverse(triple, batch: 3)
            let single = vsht.inverse(Array(input[half...]), batch: 1)
            XCTAssertLessThanOrEqual(maxRelativeError(Array(fields[0..<single.count]), single), 1e-13, "batch 3 inverse \(grid)")
            let coefficients = vsht.forward(fields, batch: 3)
            XCTAssertLessThanOrEqual(maxRelativeError(Array(coefficients[half...]), input), 1e-12, "batch 3 forward \(grid)")
        }
    }

    private func complex(_ group: HDF5Group, _ prefix: String) throws -> [Complex<Double>] {
        zip(try group.openDataset("\(prefix)_real").read(Double.self), try group.openDataset("\(prefix)_imag").read(Double.self))
            .map { Complex($0, $1) }
    }
}
