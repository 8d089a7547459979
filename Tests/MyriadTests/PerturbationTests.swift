import ComplexModule
import Ensemble
import Foundation
import Sphere
import XCTest

/// Initial-condition perturbations: the correlated spherical seed noise, the hemispheric norm and the
/// hemispheric centred bred vectors of HENS (earth2studio `perturbation/gaussian.py`, `perturbation/hcbv.py`).
final class PerturbationTests: XCTestCase {

    // MARK: - Random streams

    func testStreamPackingIsInjectiveAtTheLimits() {
        let top = RandomStream.stream(member: (1 << 32) - 1, initialTime: (1 << 16) - 1, purpose: .rolloutNoise,
                                      channel: 4095)
        XCTAssertEqual(top, 0xFFFF_FFFF_FFFF_2FFF)
        XCTAssertEqual(RandomStream.stream(member: 1, initialTime: 0, purpose: .seedNoise), 1 << 32)
        XCTAssertEqual(RandomStream.stream(member: 0, initialTime: 1, purpose: .seedNoise), 1 << 16)
        XCTAssertEqual(RandomStream.stream(member: 0, initialTime: 0, purpose: .gaussianNoise), 1 << 12)
        XCTAssertEqual(RandomStream.stream(member: 0, initialTime: 0, purpose: .seedNoise, channel: 1), 1)
        var seen = Set<UInt64>()
        for member in [0, 1, 2, 65_535, 65_536, (1 << 32) - 1] {
            for step in [0, 1, 255, 256, 65_535] {
                for purpose in RandomPurpose.allCases {
                    for channel in [0, 1, 73, 4095] {
                        seen.insert(RandomStream.stream(member: member, initialTime: step, purpose: purpose, channel: channel))
                    }
                }
            }
        }
        XCTAssertEqual(seen.count, 6 * 5 * RandomPurpose.allCases.count * 4)
    }

    func testWhiteGaussianIsStandardAndKeyed() {
        let count = 1 << 16
        let a = SphericalNoise.gaussian(count: count, seed: 7, stream: 3)
        let mean = a.reduce(0.0) { $0 + Double($1) } / Double(count)
        let variance = a.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(count) - mean * mean
        XCTAssertEqual(mean, 0, accuracy: 0.02)          // standard error 0.004
        XCTAssertEqual(variance, 1, accuracy: 0.03)      // standard error 0.0055
        XCTAssertEqual(a, SphericalNoise.gaussian(count: count, seed: 7, stream: 3))
        XCTAssertNotEqual(a, SphericalNoise.gaussian(count: count, seed: 7, stream: 4))
        XCTAssertNotEqual(a, SphericalNoise.gaussian(count: count, seed: 8, stream: 3))
        // An odd count is the prefix of the next even one.
        XCTAssertEqual(SphericalNoise.gaussian(count: 5, seed: 7, stream: 3), Array(a.prefix(5)))
    }

    // MARK: - Correlated spherical noise

    func testNoiseParametersFollowHENS() throws {
        let noise = try SphericalNoise(grid: .equiangular, nlat: 32, nlon: 64)
        XCTAssertEqual(noise.lmax, 16)
        XCTAssertEqual(noise.kT, 0.5 * pow(5.0e5 / 6.371e6, 2), accuracy: 1e-15)
        XCTAssertEqual(noise.phi, exp(-6.0 / 48.0), accuracy: 1e-15)
        var sum = 0.0
        for n in 1..<16 { sum += Double(2 * n + 1) * exp(-noise.kT * Double(n * (n + 1))) }
        XCTAssertEqual(noise.f0, ((1 - noise.phi * noise.phi) / (2 * sum)).squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(noise.innovationAmplitudes[0], noise.f0, accuracy: 1e-15)      // n = 0 kept, as earth2studio
        XCTAssertEqual(noise.expectedMeanVariance, 0.96983, accuracy: 1e-5)
    }

    func testSameKeySameFieldDifferentKeyDifferentField() throws {
        let noise = try SphericalNoise(grid: .equiangular, nlat: 32, nlon: 64)
        let field = noise.field(seed: 42, stream: 9)
        XCTAssertEqual(field.count, 32 * 64)
        XCTAssertEqual(field, noise.field(seed: 42, stream: 9))
        // A second plan (fresh tables and FFT plans) gives the same bits.
        XCTAssertEqual(field, try SphericalNoise(grid: .equiangular, nlat: 32, nlon: 64).field(seed: 42, stream: 9))
        XCTAssertNotEqual(field, noise.field(seed: 42, stream: 10))
        XCTAssertNotEqual(field, noise.field(seed: 43, stream: 9))
    }

    func testCoefficientsAreTriangularRealAtMZeroAndRoundTrip() throws {
        let noise = try SphericalNoise(grid: .equiangular, nlat: 32, nlon: 64)
        let lmax = noise.lmax
        let a = noise.coefficients(seed: 1, stream: 2)
        for n in 0..<lmax {
            XCTAssertEqual(a[n * lmax].imaginary, 0)
            for m in (n + 1)..<lmax { XCTAssertEqual(a[n * lmax + m], .zero) }
        }
        // The field is √(4π) · ISHT_ortho(a): the forward SHT gives a back (Clenshaw–Curtis is exact here).
        let sht = try RealSHT<Double>(grid: .equiangular, nlat: 32, nlon: 64)
        let back = sht.forward(noise.field(seed: 1, stream: 2).map(Double.init), batch: 1)
        let scale = 1 / (4 * Double.pi).squareRoot()
        var worst = 0.0
        for i in a.indices { worst = max(worst, (back[i] * Complex(scale) - a[i]).length) }
        XCTAssertLessThan(worst, 1e-5)
    }

    /// The sphere-mean grid-point variance is `σ²(1 + (2 − Σe_n)/(2Σ_{n≥1}(2n+1)e_n))` (0.970 at lmax 16),
    /// not exactly σ²: F0 leaves out n = 0, which the field keeps, and m = 0 has no imaginary part.
    /// (16 000 fields measure 0.9702 against the predicted 0.9698.)
    func testMeanVarianceIsTheReferenceValue() throws {
        let noise = try SphericalNoise(grid: .equiangular, nlat: 32, nlon: 64)
        let weights = Quadrature(grid: .equiangular, nlat: 32).weights
        let total = weights.reduce(0, +)
        let fields = 3000
        var meanSquare = 0.0
        for f in 0..<fields {
            let x = noise.field(seed: 5, stream: UInt64(f))
            for k in 0..<32 {
                var row = 0.0
                for j in 0..<64 { row += Double(x[k * 64 + j]) * Double(x[k * 64 + j]) }
                meanSquare += weights[k] / total * row / 64
            }
        }
        meanSquare /= Double(fields)
        XCTAssertEqual(meanSquare, noise.expectedMeanVariance, accuracy: 0.01)
        XCTAssertGreaterThan(abs(meanSquare - 1), 0.015, "the reference's convention is not unit variance")
        // σ scales the field.
        let wide = try SphericalNoise(grid: .equiangular, nlat: 32, nlon: 64, sigma: 2.5)
        XCTAssertEqual(wide.expectedMeanVariance, 6.25 * noise.expectedMeanVariance, accuracy: 1e-12)
        for (a, b) in zip(wide.field(seed: 5, stream: 0), noise.field(seed: 5, stream: 0)) {
            XCTAssertEqual(a, 2.5 * b, accuracy: 1e-5 * max(1, abs(a)))
        }
    }

    /// Correlation along the rows next to the equator: about `exp(−d²/(2L²))`: 0.46 at 625 km, 0 at 3126 km.
    func testCorrelationDecaysOnTheLengthScale() throws {
        let nlat = 64, nlon = 128
        let noise = try SphericalNoise(grid: .legendreGauss, nlat: nlat, nlon: nlon)
        XCTAssertEqual(noise.lmax, 64)
        let rows = [nlat / 2 - 1, nlat / 2]
        let latitude = Quadrature(grid: .legendreGauss, nlat: nlat).latitudesDegrees[nlat / 2] * Double.pi / 180
        let shifts = [1, 2, 10]
        var products = [Double](repeating: 0, count: shifts.count)
        var squares = 0.0
        for f in 0..<150 {
            let x = noise.field(seed: 11, stream: UInt64(f))
            for k in rows {
                for j in 0..<nlon {
                    let v = Double(x[k * nlon + j])
                    squares += v * v
                    for (s, shift) in shifts.enumerated() { products[s] += v * Double(x[k * nlon + (j + shift) % nlon]) }
                }
            }
        }
        for (s, shift) in shifts.enumerated() {
            let dLon = 2 * Double.pi * Double(shift) / Double(nlon)
            let gamma = acos(sin(latitude) * sin(latitude) + cos(latitude) * cos(latitude) * cos(dLon))
            let distance = gamma * 6.371e6
            let expected = exp(-distance * distance / (2 * 5.0e5 * 5.0e5))
            XCTAssertEqual(products[s] / squares, expected, accuracy: 0.05, "shift \(shift): \(distance / 1000) km")
        }
        XCTAssertGreaterThan(products[0] / squares, 0.75)      // 313 km: 0.82
        XCTAssertLessThan(abs(products[2] / squares), 0.05)    // 3126 km: 0
    }

    func testAdvanceIsTheAROneStep() throws {
        let noise = try SphericalNoise(grid: .equiangular, nlat: 16, nlon: 32)
        let a = noise.coefficients(seed: 3, stream: 4)
        var b = a
        noise.advance(&b, seed: 3, stream: 5)
        let xi = noise.coefficients(seed: 3, stream: 5)      // same draws, stationary amplitudes
        let ratio = (1 - noise.phi * noise.phi).squareRoot()
        for i in a.indices {
            XCTAssertLessThan((b[i] - (Complex(noise.phi) * a[i] + Complex(ratio) * xi[i])).length, 1e-12)
        }
    }

    // MARK: - Hemispheric norm

    private func equiangularLatitudes(_ nlat: Int) -> [Double] {
        Quadrature(grid: .equiangular, nlat: nlat).latitudesDegrees
    }

    func testExtratropicalRows() {
        XCTAssertEqual(HemisphericNorm.hensExtratropicalRows(nlat: 721), 280)
        XCTAssertEqual(HemisphericNorm.extratropicalRows(latitudes: equiangularLatitudes(721), boundary: 20), 281)
        XCTAssertEqual(HemisphericNorm.hensExtratropicalRows(nlat: 32), 12)
        XCTAssertEqual(HemisphericNorm(latitudes: equiangularLatitudes(32)).extratropicalRows, 12)
    }

    /// A constant field's norm is `c · sqrt(mean_{band} cos φ / mean_{all} cos φ)` (earth2studio's weights).
    func testNormOfAConstantField() {
        let latitudes = equiangularLatitudes(721)
        let norm = HemisphericNorm(latitudes: latitudes)
        let cosines = latitudes.map { max(0, cos($0 * Double.pi / 180)) }
        let all = cosines.reduce(0, +) / 721
        let band = cosines.prefix(280).reduce(0, +) / 280
        let field = [Float](repeating: 3, count: 721 * 8)
        let (north, south) = field.withUnsafeBufferPointer { norm.norms($0, nlon: 8) }
        XCTAssertEqual(north, 3 * (band / all).squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(south, north, accuracy: 1e-9)
        XCTAssertEqual(north / 3, 0.92, accuracy: 0.01)     // not the weighted RMS within the band (that is 3)
    }

    func testRescaleHitsTargetsInBothHemispheresAndInterpolatesTheTropics() {
        let nlat = 32, nlon = 64, size = nlat * nlon
        let latitudes = equiangularLatitudes(nlat)
        let norm = HemisphericNorm(latitudes: latitudes)
        let white = SphericalNoise.gaussian(count: 3 * size, seed: 1, stream: 1)
        // Channel 0: amplitude growing southwards; channel 1: tiny; channel 2: zero.
        var state = [Float](repeating: 0, count: 3 * size)
        for k in 0..<nlat {
            for j in 0..<nlon {
                state[k * nlon + j] = white[k * nlon + j] * Float(1 + k)
                state[size + k * nlon + j] = white[size + k * nlon + j] * 1e-3
            }
        }
        let before = state
        let targets = [2.5, 40.0, 1.0]
        norm.rescale(&state, nlon: nlon, targets: targets)
        for c in 0..<2 {
            let (north, south) = state[(c * size)..<((c + 1) * size)].withUnsafeBufferPointer {
                norm.norms($0, nlon: nlon)
            }
            XCTAssertEqual(north / targets[c], 1, accuracy: 1e-5)
            XCTAssertEqual(south / targets[c], 1, accuracy: 1e-5)
        }
        XCTAssertTrue(state[(2 * size)...].allSatisfy { $0 == 0 })
        // Tropics (rows 12 ..< 20): one factor per row, between the two hemispheres' factors, monotone.
        func factor(_ k: Int) -> Double { Double(state[k * nlon + 5]) / Double(before[k * nlon + 5]) }
        let northFactor = factor(0), southFactor = factor(nlat - 1)
        XCTAssertGreaterThan(northFactor, southFactor)
        var previous = northFactor
        for k in 12..<20 {
            let f = factor(k)
            XCTAssertEqual(Double(state[k * nlon + 9]) / Double(before[k * nlon + 9]), f, accuracy: 1e-5 * f)
            XCTAssertLessThanOrEqual(f, previous * (1 + 1e-6))
            XCTAssertGreaterThanOrEqual(f, southFactor * (1 - 1e-6))
            previous = f
        }
        // The first and last tropical rows carry the hemispheres' norms exactly (linspace includes its ends).
        XCTAssertEqual(factor(12), northFactor, accuracy: 1e-6 * northFactor)
        XCTAssertEqual(factor(19), southFactor, accuracy: 1e-6 * southFactor)
    }

    func testRowNormsAreLinspace() {
        let norm = HemisphericNorm(latitudes: equiangularLatitudes(32))
        let rows = norm.rowNorms(north: 1, south: 8)
        XCTAssertEqual(Array(rows[0..<12]), [Double](repeating: 1, count: 12))
        XCTAssertEqual(Array(rows[20..<32]), [Double](repeating: 8, count: 12))
        for i in 0..<8 { XCTAssertEqual(rows[12 + i], 1 + Double(i), accuracy: 1e-12) }
    }

    // MARK: - Bred vectors

    private let channels = ["z500", "t850", "q700", "tcwv"]
    private let rmse: [Double] = [200, 1.5, 0.5e-3, 2]
    private let nlat = 32, nlon = 64

    private func bredVector(cycles: Int = 3) throws -> HemisphericCentredBredVector {
        try HemisphericCentredBredVector(channels: channels, latitudes: equiangularLatitudes(nlat), nlon: nlon,
                                         rmse48h: rmse, seededChannels: ["z500"], cycles: cycles)
    }

    /// A cheap model: every channel advects one longitude eastwards per step, and z500 feeds the other channels
    /// (scaled to their units), plus a small quadratic term so that breeding is not exactly linear.
    private final class CallLog { var dates: [Date] = [] }

    private func fakeModel(calls: CallLog? = nil) -> (inout [Float], Date) throws -> Void {
        let nlat = nlat, nlon = nlon, size = nlat * nlon
        let coupling: [Float] = [0, 0.01, 3e-6, 0.01]
        return { state, date in
            calls?.dates.append(date)
            let old = state
            for c in 0..<4 {
                for k in 0..<nlat {
                    for j in 0..<nlon {
                        let west = k * nlon + (j + nlon - 1) % nlon
                        let z = old[west] - 5500
                        state[c * size + k * nlon + j] = old[c * size + west] + coupling[c] * z
                            + (c == 0 ? 1e-4 * z * z / 100 : 0)
                    }
                }
            }
        }
    }

    private func analysis(_ index: Int) -> [Float] {
        let size = nlat * nlon
        var x = [Float](repeating: 0, count: 4 * size)
        for k in 0..<nlat {
            let lat = Float(90 - 180 * Double(k) / Double(nlat - 1)) * .pi / 180
            for j in 0..<nlon {
                let lon = Float(j) * 2 * .pi / Float(nlon)
                x[k * nlon + j] = 5500 + 200 * cos(lat) * sin(2 * lon + Float(index))
                x[size + k * nlon + j] = 280 - 30 * sin(lat) * sin(lat)
                x[2 * size + k * nlon + j] = 1e-4 * cos(lat) * cos(lat)     // small: x0 − dx goes negative
                x[3 * size + k * nlon + j] = 20 * cos(lat)
            }
        }
        return x
    }

    func testSeedPerturbsOnlyTheSeededChannels() throws {
        let bv = try bredVector()
        let size = nlat * nlon
        let dx = bv.seedPerturbation(seed: 2024, pair: 0)
        XCTAssertEqual(bv.seededChannels, [0])
        XCTAssertEqual(bv.targets[0], 0.35 * 200, accuracy: 1e-12)
        XCTAssertTrue(dx[size...].allSatisfy { $0 == 0 })
        let rms = (dx[0..<size].reduce(0.0) { $0 + Double($1) * Double($1) } / Double(size)).squareRoot()
        XCTAssertEqual(rms / 70, 1, accuracy: 0.35)     // one field's RMS scatters around √0.97 T
        XCTAssertEqual(dx, bv.seedPerturbation(seed: 2024, pair: 0))
        XCTAssertNotEqual(dx, bv.seedPerturbation(seed: 2024, pair: 1))
        XCTAssertNotEqual(dx, bv.seedPerturbation(seed: 2024, pair: 0, initialTimeIndex: 1))
        XCTAssertEqual(Array(dx[0..<size]),
                       bv.noise.field(seed: 2024, stream: RandomStream.stream(member: 0, initialTime: 0, purpose: .seedNoise))
                           .map { Float(70) * $0 })
    }

    func testBredVectorHitsTargetsAndRegenerates() throws {
        let bv = try bredVector()
        let size = nlat * nlon
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let calls = CallLog()
        let analyses = [analysis(0), analysis(1), analysis(2)]
        let dx = try bv.breed(analyses: analyses, validTime: start, seed: 99, pair: 3, model: fakeModel(calls: calls))
        // 3 control steps, then 3 perturbed steps, at t0 − 18 h, − 12 h, − 6 h.
        let times = (0..<3).map { start.addingTimeInterval(Double($0) * 6 * 3600) }
        XCTAssertEqual(calls.dates, times + times)
        for c in 0..<4 {
            let (north, south) = dx[(c * size)..<((c + 1) * size)].withUnsafeBufferPointer {
                bv.norm.norms($0, nlon: nlon)
            }
            XCTAssertEqual(north / bv.targets[c], 1, accuracy: 1e-5, "\(channels[c]) north")
            XCTAssertEqual(south / bv.targets[c], 1, accuracy: 1e-5, "\(channels[c]) south")
        }
        // Same key: bitwise the same; shared control: the same bits as the one-shot call.
        let again = try bv.breed(analyses: analyses, validTime: start, seed: 99, pair: 3, model: fakeModel())
        XCTAssertEqual(dx, again)
        let control = try bv.control(analyses: analyses, validTime: start, model: fakeModel())
        XCTAssertEqual(dx, try bv.breed(control: control, seed: 99, pair: 3, model: fakeModel()))
        XCTAssertNotEqual(dx, try bv.breed(control: control, seed: 99, pair: 4, model: fakeModel()))
        XCTAssertNotEqual(dx, try bv.breed(control: control, seed: 100, pair: 3, model: fakeModel()))
    }

    func testControlReanchorsOnAnalysesOrRunsFree() throws {
        let bv = try bredVector()
        let start = Date(timeIntervalSince1970: 0)
        let anchored = try bv.control(analyses: [analysis(0), analysis(1), analysis(2), analysis(3)],
                                      validTime: start, model: fakeModel())
        XCTAssertEqual(anchored.states, [analysis(0), analysis(1), analysis(2)])
        let free = try bv.control(analyses: [analysis(0)], validTime: start, model: fakeModel())
        XCTAssertEqual(free.states[0], analysis(0))
        XCTAssertEqual(free.states[1], free.forecasts[0])
        XCTAssertEqual(free.states[2], free.forecasts[1])
        XCTAssertThrowsError(try bv.control(analyses: [], validTime: start, model: fakeModel()))
        XCTAssertThrowsError(try bv.control(analyses: [[1, 2, 3]], validTime: start, model: fakeModel()))
    }

    func testCentredPairsAreSymmetricAndClipped() throws {
        let bv = try bredVector()
        let size = nlat * nlon
        let x0 = analysis(3)
        let dx = try bv.breed(analyses: [analysis(0), analysis(1), analysis(2)], validTime: Date(), seed: 1, pair: 0,
                              model: fakeModel())
        XCTAssertEqual(bv.nonNegativeChannels, [2, 3])
        XCTAssertEqual(CentredPair(member: 0), CentredPair(member: 0))
        XCTAssertEqual((0..<6).map { CentredPair(member: $0).pair }, [0, 0, 1, 1, 2, 2])
        XCTAssertEqual((0..<6).map { CentredPair(member: $0).sign }, [1, -1, 1, -1, 1, -1])
        XCTAssertTrue(CentredPair.members(ofPair: 7) == (14, 15))
        let plus = bv.member(0, x0: x0, dx: dx)
        let minus = bv.member(1, x0: x0, dx: dx)
        var clipped = 0
        for i in 0..<(4 * size) {
            let c = i / size
            let up = x0[i] + dx[i], down = x0[i] - dx[i]
            if c < 2 {
                // The same dx on both sides, bitwise; in exact arithmetic the pair's mean is x0.
                XCTAssertEqual(plus[i], up)
                XCTAssertEqual(minus[i], down)
                XCTAssertEqual(Double(plus[i]) + Double(minus[i]), 2 * Double(x0[i]),
                               accuracy: 2 * Double(x0[i].ulp))
            } else {
                XCTAssertEqual(plus[i], max(0, up))
                XCTAssertEqual(minus[i], max(0, down))
                if up < 0 || down < 0 { clipped += 1 }
            }
        }
        XCTAssertGreaterThan(clipped, 0, "the test state should need clipping")
        XCTAssertTrue(plus[(2 * size)...].allSatisfy { $0 >= 0 } && minus[(2 * size)...].allSatisfy { $0 >= 0 })
    }

    func testConfigurationErrors() {
        let latitudes = equiangularLatitudes(nlat)
        XCTAssertThrowsError(try HemisphericCentredBredVector(channels: channels, latitudes: latitudes, nlon: nlon,
                                                              rmse48h: rmse, seededChannels: ["height"]))
        XCTAssertThrowsError(try HemisphericCentredBredVector(channels: channels, latitudes: latitudes, nlon: nlon,
                                                              rmse48h: [1, 2]))
        XCTAssertThrowsError(try HemisphericCentredBredVector(channels: channels, latitudes: latitudes.map { $0 * 0.9 },
                                                              nlon: nlon, rmse48h: rmse))
        // The demo world's "height" channel, on a Legendre–Gauss grid, with a custom clip list.
        let lg = Quadrature(grid: .legendreGauss, nlat: 16).latitudesDegrees
        let bv = try? HemisphericCentredBredVector(channels: ["height", "u", "wv"], latitudes: lg, nlon: 32,
                                                   rmse48h: [10, 1, 1], seededChannels: ["height"],
                                                   nonNegativeChannels: ["w*"])
        XCTAssertEqual(bv?.noise.grid, .legendreGauss)
        XCTAssertEqual(bv?.nonNegativeChannels, [2])
    }
}
