import ComplexModule
import MPI
import Sphere

/// The distributed SHT against the serial one on the same global fields: every rank transforms its
/// slab and compares with its part of the serial result, forward and inverse, Float and Double,
/// on grids whose splits are uneven.
enum SHTSelfTest {
    static let cases: [(SphereGrid, Int, Int, Int?)] = [
        (.equiangular, 33, 64, nil), (.legendreGauss, 45, 90, nil), (.equiangular, 19, 36, 19), (.legendreGauss, 48, 96, 20),
    ]

    static func run(_ checks: SelfTestChecks, layout: ModelLayout) throws {
        let grid = try ProcessGrid(world: checks.world, layout: layout)
        // Each case three times: the whole batch in one pass, one field per pass, and passes of two fields and
        // one (as an SFNO layer's hundreds of channels go at 0.25°).
        for (sphere, nlat, nlon, lmax) in cases {
            for passBytes in [nil, 1, -2] {
                try compare(Float.self, checks, grid, sphere, nlat, nlon, lmax, passBytes: passBytes, tolerance: 1e-6)
                try compare(Double.self, checks, grid, sphere, nlat, nlon, lmax, passBytes: passBytes, tolerance: 1e-13)
            }
        }
    }

    static func compare<T: SHTScalar & MPIComplexComponent>(_ type: T.Type, _ checks: SelfTestChecks, _ grid: ProcessGrid,
                                                  _ sphere: SphereGrid, _ nlat: Int, _ nlon: Int, _ lmax: Int?,
                                                  passBytes: Int?, tolerance: Double) throws {
        let batch = 3
        let serial = try RealSHT<T>(grid: sphere, nlat: nlat, nlon: nlon, lmax: lmax)
        let distributed = DistributedRealSHT(serial, grid: grid)
        if let passBytes { distributed.passBytes = passBytes < 0 ? -passBytes * distributed.bytesPerField : passBytes }
        // Every pass is a set of collective exchanges: the spatial group's ranks must agree on the passes.
        let passes = try grid.spatial.allgather([Int32(distributed.fieldsPerPass)])
        checks.expect(Set(passes).count == 1, "fields per pass differ between the ranks of the spatial group: \(passes)")
        let name = "\(T.self) \(sphere) \(nlat)×\(nlon) lmax \(serial.lmax) layout \(grid.layout), \(distributed.fieldsPerPass) field(s) per pass"
        // Every rank makes the same global fields; the ensemble index varies them per group.
        var state = UInt64(1 + grid.ensembleIndex)
        let global: [T] = (0..<(batch * nlat * nlon)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return T(Double(state >> 11) / Double(1 << 53) - 0.5)
        }
        let lat = distributed.latitudes, lon = distributed.longitudes
        let slab: [T] = (0..<batch).flatMap { b in lat.flatMap { k in lon.map { global[(b * nlat + k) * nlon + $0] } } }

        let reference = serial.forward(global, batch: batch)
        let coefficients = try distributed.forward(slab, batch: batch)
        let l = distributed.degrees, m = distributed.orders
        let part: [Complex<T>] = (0..<batch).flatMap { b in l.flatMap { ll in m.map { reference[(b * serial.lmax + ll) * serial.mmax + $0] } } }
        let scale = reference.map { Double($0.length) }.max() ?? 1
        let forwardError = zip(coefficients, part).map { Double(($0 - $1).length) }.max() ?? 0
        checks.expect(coefficients.count == part.count && forwardError <= tolerance * scale,
                      "\(name) forward: max error \(forwardError / scale) relative")

        let fieldsReference = serial.inverse(reference, batch: batch)
        let fields = try distributed.inverse(coefficients, batch: batch)
        let fieldPart: [T] = (0..<batch).flatMap { b in lat.flatMap { k in lon.map { fieldsReference[(b * nlat + k) * nlon + $0] } } }
        let fieldScale = fieldsReference.map { abs(Double($0)) }.max() ?? 1
        let inverseError = zip(fields, fieldPart).map { abs(Double($0) - Double($1)) }.max() ?? 0
        checks.expect(fields.count == fieldPart.count && inverseError <= tolerance * fieldScale,
                      "\(name) inverse: max error \(inverseError / fieldScale) relative")
    }
}
