import Foundation
import Storage
import XCTest

/// `myriad spectrum` end to end: closed-form spectra, the same CSV at 1 and 4 ranks, clear errors.
final class SpectrumCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try makeScratchDirectory("myriad-spectrum") }

    /// Fields [2][3][nlat][nlon] on a Legendre–Gauss grid: field 0 is cos θ (E(1) = 4π/3), field 1 is
    /// sin θ cos φ (E(1) = 4π/3, from a_11 = −√(2π/3)), the rest random.
    private func makeInput(nlat: Int = 24, nlon: Int = 48) throws -> String {
        let path = directory.appendingPathComponent("fields.h5").path
        let file = try HDF5File.create(path)
        // Sampled at Gauss–Legendre nodes found by bisection here, independently of the library.
        var generator = SplitMix64(seed: 99)
        let nodes = legendreGaussNodes(nlat)
        var values = [Double]()
        for f in 0..<6 {
            for k in 0..<nlat {
                for j in 0..<nlon {
                    let phi = 2 * Double.pi * Double(j) / Double(nlon)
                    switch f {
                    case 0: values.append(nodes[k])
                    case 1: values.append((1 - nodes[k] * nodes[k]).squareRoot() * cos(phi))
                    default: values.append(generator.nextUnit() - 0.5)
                    }
                }
            }
        }
        try file.createDataset("fields", of: Double.self, shape: [2, 3, nlat, nlon]).write(values)
        return path
    }

    func testClosedFormAndRankIndependence() throws {
        let input = try makeInput()
        let one = directory.appendingPathComponent("one.csv").path
        let four = directory.appendingPathComponent("four.csv").path
        let arguments = ["spectrum", "--input", input, "--dataset", "fields", "--grid", "legendre-gauss", "--lmax", "12"]
        try MPIJob.succeed(ranks: 1, arguments + ["--output", one])
        try MPIJob.succeed(ranks: 4, arguments + ["--output", four])
        let csvOne = try String(contentsOfFile: one, encoding: .utf8)
        let csvFour = try String(contentsOfFile: four, encoding: .utf8)
        XCTAssertEqual(csvOne, csvFour, "1 and 4 ranks give the same numbers")
        let rows = csvOne.split(separator: "\n")
        XCTAssertEqual(rows.first, "field,l,power")
        XCTAssertEqual(rows.count, 1 + 6 * 12)
        for row in rows.dropFirst() {
            let parts = row.split(separator: ",")
            let (field, l, power) = (Int(parts[0])!, Int(parts[1])!, Double(parts[2])!)
            guard field < 2 else { continue }
            XCTAssertEqual(power, l == 1 ? 4 * Double.pi / 3 : 0, accuracy: 1e-12, "field \(field) l \(l)")
        }
        // Standard output when no --output is given.
        let out = try MPIJob.succeed(ranks: 2, arguments)
        XCTAssertEqual(out, csvOne)
    }

    /// NaN in a field is not passed on silently: the spectra are still written, with a warning that counts.
    func testNonFiniteFieldsAreCountedInAWarning() throws {
        let input = try makeInput()
        do {  // closed at the end of this scope
            let file = try HDF5File.open(input, access: .readWrite)
            try file.openDataset("fields").write([Double.nan, .infinity], offset: [1, 0, 3, 5], count: [1, 1, 1, 2])
        }
        let output = directory.appendingPathComponent("spectra.csv").path
        let result = try MPIJob.run(ranks: 2, ["spectrum", "--input", input, "--dataset", "fields", "--grid", "legendre-gauss",
                                               "--lmax", "8", "--output", output])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("1 of 6 field(s) hold NaN or infinity (2 point(s) in all; fields 3)"), result.stderr)
    }

    func testBadInputGetsAClearErrorAndNoFile() throws {
        let input = try makeInput()
        let output = directory.appendingPathComponent("never.csv").path
        let cases: [([String], String)] = [
            (["--input", input, "--dataset", "nope", "--grid", "equiangular", "--lmax", "4"], "'/nope': no such dataset"),
            (["--input", input + ".missing", "--dataset", "fields", "--grid", "equiangular", "--lmax", "4"], "cannot open file"),
            (["--input", input, "--dataset", "fields", "--grid", "gaussian", "--lmax", "4"],
             "The value 'gaussian' is invalid for '--grid <grid>'. Please provide one of 'equiangular' and 'legendre-gauss'."),
            (["--input", input, "--dataset", "fields", "--grid", "legendre-gauss", "--lmax", "40"], "choose --lmax between 1 and 24"),
        ]
        for (arguments, message) in cases {
            let result = try MPIJob.run(ranks: 2, ["spectrum"] + arguments + ["--output", output])
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(message), "expected '\(message)' in: \(result.stderr)")
            XCTAssertEqual(result.stderr.components(separatedBy: message).count - 1, 1, "reported once: \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: output))
        }
    }
}

/// Gauss–Legendre nodes north → south by bisection on P_n (independent of the library's Newton solver).
func legendreGaussNodes(_ n: Int) -> [Double] {
    func p(_ x: Double) -> Double {
        var p0 = 1.0, p1 = x
        for k in 2...n { (p0, p1) = (p1, (Double(2 * k - 1) * x * p1 - Double(k - 1) * p0) / Double(k)) }
        return p1
    }
    var roots = [Double]()
    let steps = 200 * n
    var a = 1.0, fa = p(a)
    for i in 1...steps {
        let b = 1 - 2 * Double(i) / Double(steps)
        let fb = p(b)
        if fa * fb < 0 {
            var lo = b, hi = a
            for _ in 0..<200 { let mid = (lo + hi) / 2; if p(mid) * p(hi) <= 0 { lo = mid } else { hi = mid } }
            roots.append((lo + hi) / 2)
        }
        a = b
        fa = fb
    }
    return roots
}
