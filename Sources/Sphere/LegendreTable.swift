import Foundation

/// Orthonormal associated Legendre functions `P̄_l^m(cos θ_k)` with the Condon–Shortley phase, on the
/// northern half of a symmetric grid, split by parity, ready for GEMMs.
///
/// Normalisation as torch-harmonics `legpoly(norm="ortho")`: `∫ P̄_l^m(x)² dx · 2π = 1`, i.e. the
/// `Y_l^m` are orthonormal on the unit sphere. Computed in Float64 with the standard three-term
/// recurrence in l (torch-harmonics' own), starting from the diagonal
/// `P̄_m^m = √((2m+1)/(2m)) sin θ P̄_{m−1}^{m−1}`; the diagonal underflows to exactly zero near the poles
/// for large m (where the functions are below 1e-280, far under any precision), so nothing overflows or
/// turns into denormals up to degree 1440 and beyond.
///
/// Symmetry: `P̄_l^m(−x) = (−1)^{l+m} P̄_l^m(x)`, so a transform needs only the `nhalf = ⌈nlat/2⌉`
/// northern nodes (equator included) and splits each m into "even" rows (`l − m` even) and "odd" rows.
///
/// Polar cut-off: `P̄_l^m(cos θ)` is exponentially small poleward of its turning point
/// `sin θ ≈ m / (l + ½)` — far below the precision of `T` over much of the (l, m, θ) box for large m.
/// Each row records the first node (from the pole) where its magnitude reaches `ε = ulp(T) / 1000`;
/// the transforms skip the nodes before it. Dropped terms are below 1e-3 ulp of the field's largest
/// value, and the work falls by about a third at large lmax (shtns and ducc0 do the same).
///
/// - Layout: for each m, `even(m)`: `[evenCount(m)][nhalf]` (rows l = m, m+2, …), `odd(m)`:
///   `[oddCount(m)][nhalf]` (rows l = m+1, m+3, …), row-major, all in one contiguous `values` array.
struct LegendreTable<T: BinaryFloatingPoint> {
    let lmax: Int
    let mmax: Int
    let nhalf: Int
    /// Offset of `even(m)` in `values`; `odd(m)` follows right after it.
    let offsets: [Int]
    /// Empty when the table was made to be regenerated from its seeds (`keepsValues: false`).
    let values: [T]
    /// For each row of `values` (`offset / nhalf`), the first node where the row is significant;
    /// `nhalf` for a row that is negligible everywhere.
    let firstSignificantNode: [Int32]
    /// Restart pairs for the single-field kernels (`LegendreSeeds`), when asked for and usable.
    let seeds: LegendreSeeds?

    func evenCount(_ m: Int) -> Int { m < lmax ? (lmax - m + 1) / 2 : 0 }
    func oddCount(_ m: Int) -> Int { m < lmax ? (lmax - m) / 2 : 0 }
    func evenOffset(_ m: Int) -> Int { offsets[m] }
    func oddOffset(_ m: Int) -> Int { offsets[m] + evenCount(m) * nhalf }

    /// - cosTheta: the northern nodes `[nhalf]` (cos θ ≥ 0), north → south.
    /// - withSeeds: also collect `LegendreSeeds` from the same recurrence.
    /// - keepsValues: false (with seeds): do not store `values`, for a transform that regenerates its rows
    ///   from the seeds (`LegendreRows`). Should the seeds fail their check, the table has neither
    ///   (`forTransform` then makes it again with values).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    init(lmax: Int, mmax: Int, cosTheta: ArraySlice<Double>, withSeeds: Bool = false, keepsValues: Bool = true) {
        self.lmax = lmax
        self.mmax = mmax
        nhalf = cosTheta.count
        var offsets = [Int]()
        var total = 0
        for m in 0..<mmax {
            offsets.append(total)
            total += (m < lmax ? lmax - m : 0) * cosTheta.count
        }
        self.offsets = offsets
        let nhalf = self.nhalf
        let evenCounts = (0..<mmax).map { $0 < lmax ? (lmax - $0 + 1) / 2 : 0 }
        let significant = Double(T.ulpOfOne) / 1000
        var firstSignificantNode = [Int32](repeating: Int32(nhalf), count: nhalf > 0 ? total / nhalf : 0)
        var seeds = withSeeds ? LegendreSeedsBuilder(lmax: lmax, mmax: mmax, nodes: Array(cosTheta)) : nil
        let seedPairs = seeds?.pairs.baseAddress
        let seedStride = seeds?.stride ?? 0
        let segment = LegendreSeeds.segment
        let stores = keepsValues || !withSeeds
        let values = [T](unsafeUninitializedCapacity: stores ? total : 0) { buffer, initialised in
            // Every entry is written below (when the table stores them).
            let nodes = Array(cosTheta)
            // Recurrence coefficients depend on (l, m) only: computed per m, reused over nodes.
            var a = [Double](repeating: 0, count: lmax + 1)
            var b = [Double](repeating: 0, count: lmax + 1)
            var diagonal = [Double](repeating: 1 / (4 * Double.pi).squareRoot(), count: nhalf)
            let tiny = Double(T.leastNormalMagnitude)
            for m in 0..<min(mmax, max(lmax, 1)) {
                if m > 0 {
                    let factor = Double(2 * m + 1) / Double(2 * m)
                    for k in 0..<nhalf {
                        let x = nodes[k]
                        let next = (factor * (1 + x) * (1 - x)).squareRoot() * diagonal[k]
                        diagonal[k] = abs(next) < 1e-280 ? 0 : next
                    }
                }
                guard m < lmax else { continue }
                for l in (m + 2)..<max(m + 2, lmax) {
                    let ld = Double(l), md = Double(m)
                    a[l] = ((2 * ld - 1) / (ld - md) * (2 * ld + 1) / (ld + md)).squareRoot()
                    b[l] = ((ld + md - 1) / (ld - md) * (2 * ld + 1) / (2 * ld - 3) * (ld - md - 1) / (ld + md)).squareRoot()
                }
                seeds?.coefficients(m: m, a: a, b: b)
                let seedOffset = seeds?.offsets[m] ?? 0
                let phase: Double = m % 2 == 1 ? -1 : 1
                let even = offsets[m]
                let odd = offsets[m] + evenCounts[m] * nhalf
                for k in 0..<nhalf {
                    let x = nodes[k]
                    var previous = 0.0                // P̄_{l−2}
                    var current = diagonal[k]         // P̄_{l−1}, starting at P̄_m^m
                    for l in m..<lmax {
                        let value: Double
                        if l == m {
                            value = current
                        } else if l == m + 1 {
                            value = (2 * Double(m) + 3).squareRoot() * x * current
                            previous = current
                            current = value
                        } else {
                            value = recurrenceStep(a: a[l], b: b[l], x: x, previous: previous, current: current)
                            previous = current
                            current = value
                        }
                        let stored = abs(value) < tiny ? 0 : phase * value
                        let tableRow = ((l - m) % 2 == 0 ? even : odd) / nhalf + (l - m) / 2
                        if stores { buffer[tableRow * nhalf + k] = T(stored) }
                        if let seedPairs, (l - m) % segment < 2 {   // l0 = m + segment · j and l0 + 1
                            seedPairs[seedOffset + (2 * ((l - m) / segment) + (l - m) % segment) * seedStride + k] = phase * value
                        }
                        if abs(value) >= significant && firstSignificantNode[tableRow] == Int32(nhalf) {
                            firstSignificantNode[tableRow] = Int32(k)
                        }
                    }
                }
            }
            initialised = stores ? total : 0
        }
        let rows = firstSignificantNode
        self.seeds = seeds?.build { m, l in
            let parityOffset = (l - m) % 2 == 0 ? offsets[m] : offsets[m] + evenCounts[m] * nhalf
            return Int(rows[parityOffset / nhalf + (l - m) / 2])
        }
        self.firstSignificantNode = firstSignificantNode
        self.values = values
    }

    /// The table of a transform: in Float only the restart pairs (the rows are regenerated from them,
    /// `LegendreRows`; one field runs the recurrence inside its sums), unless they fail their check; in
    /// Double the stored values.
    static func forTransform(lmax: Int, mmax: Int, cosTheta: ArraySlice<Double>) -> LegendreTable {
        guard T.self == Float.self else { return LegendreTable(lmax: lmax, mmax: mmax, cosTheta: cosTheta) }
        let seeded = LegendreTable(lmax: lmax, mmax: mmax, cosTheta: cosTheta, withSeeds: true, keepsValues: false)
        return seeded.seeds != nil ? seeded : LegendreTable(lmax: lmax, mmax: mmax, cosTheta: cosTheta)
    }

    /// Whether the transforms regenerate rows from `seeds` (`LegendreRows`) instead of reading `values`.
    var regeneratesRows: Bool { values.isEmpty && seeds != nil }
}
