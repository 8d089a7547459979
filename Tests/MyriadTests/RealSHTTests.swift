import ComplexModule
import RealModule
import Foundation
import XCTest
import Kernels
@testable import Sphere

/// The serial SHT against closed forms, orthonormality and round trips. Agreement with torch-harmonics
/// itself is in `SHTFixtureTests`.
final class RealSHTTests: XCTestCase {
    /// f = cos θ is √(4π/3) Y_1^0; f = sin θ cos φ is 2 Re(a_11 Y_1^1) with a_11 = −√(2π/3) (Condon–Shortley).
    func testDegreeOneFieldsClosedForm() throws {
        for grid in SphereGrid.allCases {
            let nlat = 16, nlon = 32
            let sht = try RealSHT<Double>(grid: grid, nlat: nlat, nlon: nlon, lmax: 8, mmax: 8)
            let q = sht.quadrature
            var fields = [Double]()
            for k in 0..<nlat { for _ in 0..<nlon { fields.append(q.cosTheta[k]) } }
            for k in 0..<nlat {
                let sinTheta = (1 - q.cosTheta[k] * q.cosTheta[k]).squareRoot()
                for j in 0..<nlon { fields.append(sinTheta * cos(2 * Double.pi * Double(j) / Double(nlon))) }
            }
            let a = sht.forward(fields, batch: 2)
            for b in 0..<2 {
                for l in 0..<8 {
                    for m in 0..<8 {
                        let value = a[(b * 8 + l) * 8 + m]
                        var expected = Complex<Double>.zero
                        if b == 0 && l == 1 && m == 0 { expected = Complex((4 * Double.pi / 3).squareRoot(), 0) }
                        if b == 1 && l == 1 && m == 1 { expected = Complex(-(2 * Double.pi / 3).squareRoot(), 0) }
                        XCTAssertEqual(value.real, expected.real, accuracy: 1e-13, "\(grid) b=\(b) l=\(l) m=\(m)")
                        XCTAssertEqual(value.imaginary, expected.imaginary, accuracy: 1e-13, "\(grid) b=\(b) l=\(l) m=\(m)")
                    }
                }
            }
            let back = sht.inverse(a, batch: 2)
            for i in 0..<fields.count { XCTAssertEqual(back[i], fields[i], accuracy: 1e-13) }
        }
    }

    /// Σ_k w_k P̄_l^m P̄_l'^m · 2π = δ_ll' on a Legendre–Gauss grid (exact quadrature).
    func testLegendreFunctionsAreOrthonormal() {
        let nlat = 40
        let q = Quadrature(grid: .legendreGauss, nlat: nlat)
        let table = LegendreTable<Double>(lmax: nlat, mmax: nlat, cosTheta: q.cosTheta[0..<(nlat / 2)])
        for m in [0, 1, 7, 20, 39] {
            for parity in 0..<2 {
                let rows = parity == 0 ? table.evenCount(m) : table.oddCount(m)
                let offset = parity == 0 ? table.evenOffset(m) : table.oddOffset(m)
                for r in 0..<rows {
                    for s in 0..<rows {
                        var sum = 0.0
                        for k in 0..<(nlat / 2) {
                            sum += 2 * q.weights[k] * table.values[offset + r * table.nhalf + k]
                                * table.values[offset + s * table.nhalf + k]
                        }
                        XCTAssertEqual(2 * Double.pi * sum, r == s ? 1 : 0, accuracy: 1e-12, "m=\(m) rows \(r),\(s)")
                    }
                }
            }
        }
    }

    /// Acceptance: band-limited coefficients survive inverse → forward to ≤ 1e-5 in Float
    /// (Legendre–Gauss at lmax = nlat, equiangular at lmax = (nlat+1)/2), odd sizes included.
    func testRoundTripFloat() throws {
        for (grid, nlat, nlon) in [(SphereGrid.legendreGauss, 48, 96), (.legendreGauss, 45, 90), (.equiangular, 33, 64),
                                   (.equiangular, 65, 128), (.equiangular, 91, 180), (.legendreGauss, 90, 180)] {
            let sht = try RealSHT<Float>(grid: grid, nlat: nlat, nlon: nlon)
            XCTAssertEqual(sht.lmax, grid == .legendreGauss ? nlat : (nlat + 1) / 2)
            let batch = 3
            let a = bandLimitedCoefficients(Float.self, batch: batch, lmax: sht.lmax, mmax: sht.mmax, seed: 7)
            let back = sht.forward(sht.inverse(a, batch: batch), batch: batch)
            let error = maxRelativeError(back, a)
            XCTAssertLessThanOrEqual(error, 1e-5, "\(grid) \(nlat)×\(nlon)")
        }
    }

    func testRoundTripDoubleAtHighDegree() throws {
        let sht = try RealSHT<Double>(grid: .legendreGauss, nlat: 256, nlon: 512)
        // Six fields: the batch path's 4 × 4 tiles of the fold and their scalar edge.
        let a = bandLimitedCoefficients(Double.self, batch: 6, lmax: sht.lmax, mmax: sht.mmax, seed: 3)
        let back = sht.forward(sht.inverse(a, batch: 6), batch: 6)
        XCTAssertLessThanOrEqual(maxRelativeError(back, a), 1e-12)
    }

    /// The polar cut-off (skipping nodes where a row is below ulp/1000) leaves Float transforms at
    /// Float accuracy: Float against Double (whose cut-off, 2e-19, is far below Float) at 361 × 720, lmax 360,
    /// through the one-field (functions on the fly in Float64, restarted every 32 degrees), the few-field and
    /// the row-blocked paths. It must skip a real share of the work.
    func testPolarCutOffKeepsFloatAccuracy() throws {
        let nlat = 361, nlon = 720, lmax = 360
        let single = try RealSHT<Float>(grid: .equiangular, nlat: nlat, nlon: nlon, lmax: lmax, mmax: lmax)
        let double = try RealSHT<Double>(grid: .equiangular, nlat: nlat, nlon: nlon, lmax: lmax, mmax: lmax)
        let skipped = single.table.firstSignificantNode.reduce(0) { $0 + Int($1) }
        let total = single.table.firstSignificantNode.count * single.nhalf
        XCTAssertGreaterThan(Double(skipped) / Double(total), 0.2, "the cut-off skips over a fifth of the table")
        XCTAssertNotNil(single.table.seeds, "one Float field takes the on-the-fly recurrence")
        for batch in [1, 5, 9] {   // one field (on the fly), one GEMM per parity, GEMMs per row block
            var generator = SplitMix64(seed: 11)
            let fields = (0..<(batch * nlat * nlon)).map { _ in generator.nextUnit() * 2 - 1 }
            let reference = double.forward(fields, batch: batch)
            let got = single.forward(fields.map { Float($0) }, batch: batch)
            let forwardError = maxRelativeError(got.map { Complex(Double($0.real), Double($0.imaginary)) }, reference)
            XCTAssertLessThanOrEqual(forwardError, 2e-6, "forward, batch \(batch)")
            let a = bandLimitedCoefficients(Double.self, batch: batch, lmax: lmax, mmax: lmax, seed: 5)
            let synthesised = double.inverse(a, batch: batch)
            let fromFloat = single.inverse(a.map { Complex(Float($0.real), Float($0.imaginary)) }, batch: batch)
            let inverseError = maxRelativeError(fromFloat.map { Double($0) }, synthesised)
            XCTAssertLessThanOrEqual(inverseError, 2e-6, "inverse, batch \(batch)")
            print("Float against Double at 361 × 720, batch \(batch): forward \(forwardError), inverse \(inverseError)")
        }
    }

    /// A batch larger than one pass's work arrays goes in several passes (an SFNO layer's 620 channels at
    /// 0.25°): what one pass gives, to round-off (a pass of one field takes the single-field kernels, whose
    /// sums run in another order than the GEMMs'), including the unaligned slices of later passes.
    func testBatchInSeveralPassesEqualsOnePass() throws {
        let whole = try RealSHT<Float>(grid: .equiangular, nlat: 33, nlon: 64)
        let passes = try RealSHT<Float>(grid: .equiangular, nlat: 33, nlon: 64)
        passes.passBytes = 2 * 33 * 33 * MemoryLayout<Complex<Float>>.stride + 1   // two fields per pass
        XCTAssertEqual(passes.fieldsPerPass, 2)
        let batch = 5
        var generator = SplitMix64(seed: 17)
        let fields = (0..<(batch * 33 * 64)).map { _ in Float(generator.nextUnit() * 2 - 1) }
        let a = whole.forward(fields, batch: batch), b = passes.forward(fields, batch: batch)
        XCTAssertLessThanOrEqual(maxRelativeError(b, a), 1e-6)
        XCTAssertLessThanOrEqual(maxRelativeError(passes.inverse(a, batch: batch), whole.inverse(a, batch: batch)), 1e-6)
    }

    /// A batch's Fourier stage runs a latitude pair and a few fields at a time, folded straight into the
    /// Legendre layout (`foldedSpectra`, `fieldsFromParts`). It must give the numbers of the plain way —
    /// all rows' FFTs, a permute, the fold per order — bit for bit: the distributed transform takes the plain
    /// way, and an SFNO split over latitudes is bitwise the serial one only if both agree. Odd and even grids,
    /// `mmax` below `nlon/2 + 1` (zeroed orders), batches of one chunk, of a chunk and a lone field (merged)
    /// and of two chunks, on one and two threads.
    func testLatitudePairsGiveThePlainPathBitForBit() throws {
        let saved = RankThreads.count
        defer { RankThreads.count = saved }
        for (grid, nlat, nlon, lmax, mmax) in [(SphereGrid.equiangular, 33, 64, 17, 13), (.legendreGauss, 24, 48, 24, 25),
                                              (.equiangular, 181, 360, 91, 91)] {
            let sht = try RealSHT<Float>(grid: grid, nlat: nlat, nlon: nlon, lmax: lmax, mmax: mmax)
            let mlen = nlon / 2 + 1
            for (batch, threads) in [(2, 1), (16, 2), (RealSHT<Float>.fieldsPerChunk + 1, 1), (RealSHT<Float>.fieldsPerChunk + 6, 2)] {
                RankThreads.count = threads
                var generator = SplitMix64(seed: UInt64(batch * nlat))
                let fields = AlignedBuffer<Float>(count: batch * nlat * nlon)
                for i in 0..<fields.count { fields[i] = Float(generator.nextUnit() * 2 - 1) }
                let fieldValues = Array(UnsafeBufferPointer(start: fields.pointer, count: fields.count))
                // Into an array of NaNs: the coefficients with m > l must be written as zeros.
                var coefficients = [Complex<Float>](repeating: Complex(.nan, .nan), count: batch * lmax * mmax)
                fieldValues.withUnsafeBufferPointer { f in coefficients.withUnsafeMutableBufferPointer { sht.forward(f, $0, batch: batch) } }

                // The plain way, as `DistributedRealSHT` runs it on one rank.
                let spectrum = AlignedBuffer<Complex<Float>>(count: batch * nlat * mlen)
                sht.fft.forward(fields.pointer, spectrum.pointer, rows: batch * nlat)
                let byOrder = AlignedBuffer<Complex<Float>>(count: mmax * nlat * batch)
                for b in 0..<batch { for k in 0..<nlat { for m in 0..<mmax {   // [batch][nlat][mlen] → [mmax][nlat][batch]
                    byOrder[(m * nlat + k) * batch + b] = spectrum[(b * nlat + k) * mlen + m]
                } } }
                let analysed = AlignedBuffer<Complex<Float>>(count: mmax * lmax * batch)
                ScratchPool().withArena { arena in
                    sht.legendreAnalysis(spectrum: byOrder.pointer, batch: batch, orders: 0..<mmax,
                                         into: analysed.pointer, coefficientOrders: 0..<mmax, arena: arena)
                }
                var plain = [Complex<Float>](repeating: .zero, count: batch * lmax * mmax)
                for b in 0..<batch { for l in 0..<lmax { for m in 0..<mmax {   // [mmax][lmax][batch] → [batch][lmax][mmax]
                    plain[(b * lmax + l) * mmax + m] = analysed[(m * lmax + l) * batch + b]
                } } }
                XCTAssertTrue(coefficients == plain, "\(grid) \(nlat)×\(nlon), batch \(batch), \(threads) threads: forward")

                // Coefficients with m > l are ignored (P̄_l^m = 0 there), whatever they hold.
                var noisy = coefficients
                for b in 0..<batch { for l in 0..<lmax { for m in (l + 1)..<max(l + 1, mmax) { noisy[(b * lmax + l) * mmax + m] = Complex(1e3, -1e3) } } }
                let back = sht.inverse(noisy, batch: batch)
                let byDegree = AlignedBuffer<Complex<Float>>(count: mmax * lmax * batch)
                for b in 0..<batch { for l in 0..<lmax { for m in 0..<mmax {   // [batch][lmax][mmax] → [mmax][lmax][batch]
                    byDegree[(m * lmax + l) * batch + b] = coefficients[(b * lmax + l) * mmax + m]
                } } }
                let synthesised = AlignedBuffer<Complex<Float>>(count: mmax * nlat * batch)
                ScratchPool().withArena { arena in
                    sht.legendreSynthesis(coefficients: byDegree.pointer, coefficientOrders: 0..<mmax, orders: 0..<mmax,
                                          batch: batch, into: synthesised.pointer, arena: arena)
                }
                let rows = AlignedBuffer<Complex<Float>>(count: batch * nlat * mlen)
                for i in 0..<rows.count { rows[i] = .zero }
                for b in 0..<batch { for k in 0..<nlat { for m in 0..<mmax {   // [mmax][nlat][batch] → [batch][nlat][mlen]
                    rows[(b * nlat + k) * mlen + m] = synthesised[(m * nlat + k) * batch + b]
                } } }
                let plainFields = AlignedBuffer<Float>(count: batch * nlat * nlon)
                sht.fft.inverse(rows.pointer, plainFields.pointer, rows: batch * nlat)
                XCTAssertTrue(back == Array(UnsafeBufferPointer(start: plainFields.pointer, count: plainFields.count)),
                              "\(grid) \(nlat)×\(nlon), batch \(batch), \(threads) threads: inverse")
            }
        }
    }

    /// The FFTs of a batch's rows in pieces over the rank's threads give the one-plan numbers bit for bit,
    /// both ways, for lengths and row counts whose pieces are uneven or would leave a single row.
    func testFFTPiecesGiveTheWholeBatchBitForBit() {
        let saved = RankThreads.count
        defer { RankThreads.count = saved }
        for (length, rows) in [(64, 33), (64, 49), (90, 200), (360, 181 * 4), (1440, 97)] {
            let cache = FFTPlanCache<Float>(length: length)
            let spectrum = length / 2 + 1
            var generator = SplitMix64(seed: UInt64(length + rows))
            let x = AlignedBuffer<Float>(count: rows * length)
            for i in 0..<x.count { x[i] = Float(generator.nextUnit() * 2 - 1) }
            var results: [([Complex<Float>], [Float])] = []
            for threads in [1, 2, 3] {
                RankThreads.count = threads
                let coefficients = AlignedBuffer<Complex<Float>>(count: rows * spectrum)
                let back = AlignedBuffer<Float>(count: rows * length)
                cache.forward(x.pointer, coefficients.pointer, rows: rows)
                let forward = Array(UnsafeBufferPointer(start: coefficients.pointer, count: coefficients.count))
                cache.inverse(coefficients.pointer, back.pointer, rows: rows)
                results.append((forward, Array(UnsafeBufferPointer(start: back.pointer, count: back.count))))
            }
            for k in 1..<results.count {
                XCTAssertTrue(results[k].0 == results[0].0, "length \(length), \(rows) rows: forward on \(k + 1) threads differs")
                XCTAssertTrue(results[k].1 == results[0].1, "length \(length), \(rows) rows: inverse on \(k + 1) threads differs")
            }
        }
    }

    /// On several threads the Legendre stage deals the orders out over them (a batch's GEMMs single-threaded,
    /// a single field's row-wise kernels): bit for bit what one thread gives, Float and Double.
    func testThreadsGiveTheOneThreadResultBitForBit() throws {
        let saved = RankThreads.count
        defer { RankThreads.count = saved }
        func transforms<T: SHTScalar>(_ type: T.Type, threads: Int, batch: Int) throws -> ([Complex<T>], [T]) {
            RankThreads.count = threads
            let sht = try RealSHT<T>(grid: .legendreGauss, nlat: 48, nlon: 96)
            var generator = SplitMix64(seed: 23)
            let fields = (0..<(batch * 48 * 96)).map { _ in T(generator.nextUnit() * 2 - 1) }
            let coefficients = sht.forward(fields, batch: batch)
            return (coefficients, sht.inverse(coefficients, batch: batch))
        }
        for batch in [1, 12] {
            let (a1, f1) = try transforms(Float.self, threads: 1, batch: batch)
            let (a3, f3) = try transforms(Float.self, threads: 3, batch: batch)
            XCTAssertTrue(a1 == a3 && f1 == f3, "Float, batch \(batch): 3 threads differ from 1")
            let (d1, g1) = try transforms(Double.self, threads: 1, batch: batch)
            let (d3, g3) = try transforms(Double.self, threads: 3, batch: batch)
            XCTAssertTrue(d1 == d3 && g1 == g3, "Double, batch \(batch): 3 threads differ from 1")
        }
        XCTAssertEqual(RankThreads.count, 3, "the transform restores the caller's thread count")
    }

    /// The table stays finite (no overflow, no NaN) at the 0.25° HENS truncation and beyond.
    func testLegendreTableIsFiniteAtDegree1440() {
        // Nodes from the pole (where high orders underflow) to the equator (where nothing does) of the
        // 1441 × 2880 equiangular grid.
        let q = Quadrature(grid: .equiangular, nlat: 1441)
        let nodes = [0, 1, 2, 5, 20, 100, 300, 500, 700, 719, 720]
        let table = LegendreTable<Float>(lmax: 1441, mmax: 1441, cosTheta: ArraySlice(nodes.map { q.cosTheta[$0] }),
                                         withSeeds: true)
        XCTAssertTrue(table.values.allSatisfy { $0.isFinite })
        XCTAssertTrue(table.values.contains { $0 == 0 }, "high orders underflow to zero at the pole")
        XCTAssertTrue(table.values.allSatisfy { $0 == 0 || abs($0) >= Float.leastNormalMagnitude }, "no denormals")
        // Spot check against the closed form P̄_l^0(0) at the equator: (−1)^{l/2} √((2l+1)/4π) (l−1)!!/l!! for even l.
        let l = 1440
        var ratio = 1.0
        for j in stride(from: 1, through: l - 1, by: 2) { ratio *= Double(j) / Double(j + 1) }
        let expected = ((2 * Double(l) + 1) / (4 * Double.pi)).squareRoot() * ratio
        let got = Double(table.values[table.evenOffset(0) + (l / 2) * table.nhalf + nodes.count - 1])
        XCTAssertEqual(abs(got), expected, accuracy: 1e-6 * expected)

        // The on-the-fly functions (restart pairs every 32 degrees, Float64 recurrence) give the table's sums,
        // both ways, up to degree 1440, orders from 0 to the last, nodes from the pole to the equator.
        guard let seeds = table.seeds else { return XCTFail("restart pairs at lmax 1441") }
        let nhalf = table.nhalf
        var generator = SplitMix64(seed: 1441)
        for m in [0, 1, 37, 700, 1200, 1400, 1440] {
            var planes = [Float](repeating: 0, count: 4 * nhalf)
            for i in planes.indices { planes[i] = Float(generator.nextUnit() * 2 - 1) }
            var wide = [Double](repeating: 0, count: 4 * seeds.stride)
            for plane in 0..<4 { for k in 0..<nhalf { wide[plane * seeds.stride + k] = Double(planes[plane * nhalf + k]) } }
            let rows = table.evenCount(m) + table.oddCount(m)
            var fromTable = [Float](repeating: 0, count: 2 * rows), onTheFly = [Float](repeating: 0, count: 2 * rows)
            planes.withUnsafeBufferPointer { p in table.values.withUnsafeBufferPointer { t in
                table.firstSignificantNode.withUnsafeBufferPointer { first in fromTable.withUnsafeMutableBufferPointer { out in
                    for odd in [false, true] {
                        let offset = odd ? table.oddOffset(m) : table.evenOffset(m)
                        legendreAnalysisSingle(table: t.baseAddress! + offset, rows: odd ? table.oddCount(m) : table.evenCount(m),
                                               nhalf: nhalf, firstNode: first.baseAddress! + offset / nhalf,
                                               real: p.baseAddress! + (odd ? 2 : 0) * nhalf,
                                               imaginary: p.baseAddress! + (odd ? 3 : 1) * nhalf,
                                               into: out.baseAddress! + (odd ? 2 * table.evenCount(m) : 0))
                    }
                } }
            } }
            wide.withUnsafeBufferPointer { w in onTheFly.withUnsafeMutableBufferPointer {
                legendreAnalysisRecurrence(seeds: seeds, m: m, planes: w.baseAddress!, into: $0.baseAddress!)
            } }
            XCTAssertLessThanOrEqual(maxRelativeError(onTheFly, fromTable), 1e-5, "analysis, order \(m)")

            // And the synthesis: the same rows as coefficients, back onto the nodes.
            var synthesised = [Float](repeating: 0, count: 4 * nhalf)
            fromTable.withUnsafeBufferPointer { c in table.values.withUnsafeBufferPointer { t in
                table.firstSignificantNode.withUnsafeBufferPointer { first in synthesised.withUnsafeMutableBufferPointer { out in
                    for odd in [false, true] {
                        let offset = odd ? table.oddOffset(m) : table.evenOffset(m)
                        legendreSynthesisSingle(table: t.baseAddress! + offset, rows: odd ? table.oddCount(m) : table.evenCount(m),
                                                nhalf: nhalf, firstNode: first.baseAddress! + offset / nhalf,
                                                coefficients: c.baseAddress! + (odd ? 2 * table.evenCount(m) : 0),
                                                real: out.baseAddress! + (odd ? 2 : 0) * nhalf,
                                                imaginary: out.baseAddress! + (odd ? 3 : 1) * nhalf)
                    }
                } }
            } }
            var wideOut = [Double](repeating: .nan, count: 4 * seeds.stride)
            fromTable.withUnsafeBufferPointer { c in wideOut.withUnsafeMutableBufferPointer {
                legendreSynthesisRecurrence(seeds: seeds, m: m, coefficients: c.baseAddress!, into: $0.baseAddress!)
            } }
            let narrowed = (0..<4).flatMap { plane in (0..<nhalf).map { Float(wideOut[plane * seeds.stride + $0]) } }
            XCTAssertLessThanOrEqual(maxRelativeError(narrowed, synthesised), 1e-5, "synthesis, order \(m)")
        }
    }

    /// The rows the batch GEMMs regenerate from the restart pairs are the table's, bit for bit: the batch
    /// path, the distributed transform and the plain path all give the numbers of the table they no
    /// longer keep. Blocks of 64 rows and whole orders, at the 0.25° truncation and at degree 1440 (nodes from
    /// the pole, where high orders underflow, to the equator).
    func testRegeneratedRowsAreTheTableBitForBit() {
        let cases: [(nlat: Int, lmax: Int, nodes: [Int])] = [
            (721, 720, Array(0..<361)),
            (1441, 1441, [0, 1, 2, 5, 20, 100, 300, 500, 700, 719, 720]),
        ]
        for (nlat, lmax, nodes) in cases {
            let q = Quadrature(grid: .equiangular, nlat: nlat)
            let table = LegendreTable<Float>(lmax: lmax, mmax: lmax, cosTheta: ArraySlice(nodes.map { q.cosTheta[$0] }),
                                             withSeeds: true)
            guard let seeds = table.seeds else { return XCTFail("restart pairs at lmax \(lmax)") }
            let nhalf = table.nhalf, stride = seeds.stride
            for m in [0, 1, 2, 37, 250, lmax / 2 + 1, lmax - 33, lmax - 2, lmax - 1] {
                let evenCount = table.evenCount(m), oddCount = table.oddCount(m)
                for blockRows in [64, evenCount] {
                    var mismatches = 0, compared = 0
                    var block = [Float](repeating: .nan, count: 2 * blockRows * stride)
                    for row in Swift.stride(from: 0, to: evenCount, by: blockRows) {
                        let fromNode = (row * 7 + m) % nhalf   // also from a node inside the grid
                        block.withUnsafeMutableBufferPointer { b in
                            seeds.regenerateRows(m: m, degrees: (m + 2 * row)..<min(m + 2 * (row + blockRows), lmax),
                                                 fromNode: fromNode, even: b.baseAddress!,
                                                 odd: b.baseAddress! + blockRows * stride, rowStride: stride)
                        }
                        for (odd, count, offset) in [(false, evenCount, table.evenOffset(m)), (true, oddCount, table.oddOffset(m))] {
                            for r in row..<min(row + blockRows, count) {
                                for k in (fromNode / 8 * 8)..<nhalf {
                                    let regenerated = block[(odd ? blockRows : 0) * stride + (r - row) * stride + k]
                                    compared += 1
                                    if regenerated.bitPattern != table.values[offset + r * nhalf + k].bitPattern { mismatches += 1 }
                                }
                            }
                        }
                    }
                    XCTAssertEqual(mismatches, 0, "nlat \(nlat), order \(m), blocks of \(blockRows) rows: \(mismatches) of \(compared) values differ")
                    XCTAssertGreaterThan(compared, 0)
                }
            }
        }
    }

    /// `condonShortleyPhase: false` (torch-harmonics' `csphase=False`, the shallow-water solver's) is the
    /// Condon–Shortley transform with odd orders negated after the forward and before the inverse, bit for
    /// bit — the solver applied `toggleCondonShortleyPhase` by hand before, and its trajectories must not move.
    /// The inverse leaves its input as it was. One field and a batch (the two paths of the transform).
    func testWithoutTheCondonShortleyPhaseIsTheToggledTransformBitForBit() throws {
        let (nlat, nlon) = (17, 32)
        let with = try RealSHT<Double>(grid: .legendreGauss, nlat: nlat, nlon: nlon)
        let without = try RealSHT<Double>(grid: .legendreGauss, nlat: nlat, nlon: nlon, condonShortleyPhase: false)
        XCTAssertTrue(with.condonShortleyPhase)
        XCTAssertFalse(without.condonShortleyPhase)
        var generator = SplitMix64(seed: 41)
        for batch in [1, 3] {
            let fields = (0..<(batch * nlat * nlon)).map { _ in generator.nextUnit() * 2 - 1 }
            var expected = with.forward(fields, batch: batch)
            toggleCondonShortleyPhase(&expected, lmax: with.lmax, mmax: with.mmax)
            let coefficients = without.forward(fields, batch: batch)
            XCTAssertEqual(coefficients, expected, "forward, batch \(batch)")
            XCTAssertNotEqual(coefficients, with.forward(fields, batch: batch), "batch \(batch): the phase made no difference")

            let input = bandLimitedCoefficients(Double.self, batch: batch, lmax: with.lmax, mmax: with.mmax, seed: 43)
            var toggled = input
            toggleCondonShortleyPhase(&toggled, lmax: with.lmax, mmax: with.mmax)
            let inverse = input.withUnsafeBufferPointer { pointer in
                [Double](unsafeUninitializedCapacity: batch * nlat * nlon) { out, n in
                    without.inverse(pointer, out, batch: batch)
                    n = batch * nlat * nlon
                }
            }
            XCTAssertEqual(inverse, with.inverse(toggled, batch: batch), "inverse, batch \(batch)")
            XCTAssertEqual(input, bandLimitedCoefficients(Double.self, batch: batch, lmax: with.lmax, mmax: with.mmax, seed: 43),
                           "the inverse changed its input")
        }
    }

    func testBadTruncationsAreRefused() {
        XCTAssertThrowsError(try RealSHT<Float>(grid: .equiangular, nlat: 33, nlon: 64, lmax: 34)) { error in
            XCTAssertTrue("\(error)".contains("lmax 34 is outside 1 ... nlat = 33"), "\(error)")
        }
        XCTAssertThrowsError(try RealSHT<Float>(grid: .equiangular, nlat: 33, nlon: 64, lmax: 10, mmax: 40)) { error in
            XCTAssertTrue("\(error)".contains("mmax 40 is outside 1 ... nlon/2 + 1 = 33"), "\(error)")
        }
    }
}

/// Random coefficients of a real band-limited field: zero where m > l, real at m = 0.
func bandLimitedCoefficients<T: BinaryFloatingPoint>(_ type: T.Type, batch: Int, lmax: Int, mmax: Int,
                                                     seed: UInt64) -> [Complex<T>] where T: Real {
    var generator = SplitMix64(seed: seed)
    var a = [Complex<T>](repeating: .zero, count: batch * lmax * mmax)
    for b in 0..<batch {
        for l in 0..<lmax {
            for m in 0..<min(mmax, l + 1) {
                let re = T(generator.nextUnit() * 2 - 1)
                let im = m == 0 ? 0 : T(generator.nextUnit() * 2 - 1)
                a[(b * lmax + l) * mmax + m] = Complex(re, im)
            }
        }
    }
    return a
}

/// max |x − y| / max |y| over complex arrays.
func maxRelativeError<T: BinaryFloatingPoint>(_ x: [Complex<T>], _ y: [Complex<T>]) -> Double where T: Real {
    precondition(x.count == y.count)
    var diff = 0.0, scale = 0.0
    for (p, q) in zip(x, y) {
        diff = max(diff, Double((p - q).length))
        scale = max(scale, Double(q.length))
    }
    return diff / scale
}

func maxRelativeError<T: BinaryFloatingPoint>(_ x: [T], _ y: [T]) -> Double {
    precondition(x.count == y.count)
    var diff = 0.0, scale = 0.0
    for (p, q) in zip(x, y) {
        diff = max(diff, abs(Double(p) - Double(q)))
        scale = max(scale, abs(Double(q)))
    }
    return diff / scale
}
