import Foundation

/// The two tables of the vector spherical harmonic transform, as torch-harmonics `dlegpoly` computes them
/// (`norm="ortho"`), on all `nlat` nodes of a grid:
///
/// - `dP̄_l^m/dθ (cos θ_k)`: for `1 ≤ m ≤ l`, `½ (√((l+m)(l−m+1)) P̄_l^{m−1} − √((l−m)(l+m+1)) P̄_l^{m+1})`;
///   for `m = 0`, `−√(l(l+1)) P̄_l^1`;
/// - `m P̄_l^m / sin θ_k` (the `−i m` of the longitude derivative stripped): for `1 ≤ m ≤ l`,
///   `½ √((2l+1)/(2l+3)) (√((l−m+1)(l−m+2)) P̄_{l+1}^{m−1} + √((l+m+1)(l+m+2)) P̄_{l+1}^{m+1})`; zero at `m = 0`.
///
/// The `P̄` on the right are the orthonormal functions *without* the Condon–Shortley phase; with
/// `condonShortleyPhase` both tables are negated at odd m afterwards, as torch-harmonics does.
///
/// - Layout: for each order m, `[2][lmax − m][nlat]` row-major starting at `offsets[m]`: first the
///   `dP/dθ` rows (l = m ..< lmax), then the `m P/sin θ` rows. Degrees `l < m` are identically zero and
///   not stored. Computed in Float64, stored in T.
struct VectorLegendreTable<T: BinaryFloatingPoint> {
    let lmax: Int
    let mmax: Int
    let nlat: Int
    let offsets: [Int]
    var values: [T]

    /// Degrees stored for order m.
    func degreeCount(_ m: Int) -> Int { max(0, lmax - m) }

    /// - cosTheta: `[nlat]` nodes, north → south.
    init(lmax: Int, mmax: Int, cosTheta: [Double], condonShortleyPhase: Bool) {
        self.lmax = lmax
        self.mmax = mmax
        nlat = cosTheta.count
        var offsets = [Int]()
        var total = 0
        for m in 0..<mmax {
            offsets.append(total)
            total += 2 * max(0, lmax - m) * cosTheta.count
        }
        self.offsets = offsets
        // P̄_l^m without phase for m ≤ mmax, l ≤ lmax (one order and one degree beyond the transform's).
        let p = VectorLegendreTable.legendre(mmax: mmax + 1, lmax: lmax + 1, x: cosTheta)
        let nlat = cosTheta.count
        let ldeg = lmax + 1
        func pbar(_ m: Int, _ l: Int, _ k: Int) -> Double { p[(m * ldeg + l) * nlat + k] }
        var values = [T](repeating: 0, count: total)
        for m in 0..<mmax where m < lmax {
            let rows = lmax - m
            let sign: Double = condonShortleyPhase && m % 2 == 1 ? -1 : 1
            let md = Double(m)
            for l in m..<lmax {
                let ld = Double(l)
                let derivativeRow = offsets[m] + (l - m) * nlat
                let orderRow = offsets[m] + (rows + l - m) * nlat
                if m == 0 {
                    let c = -(ld * (ld + 1)).squareRoot()
                    for k in 0..<nlat { values[derivativeRow + k] = T(sign * c * pbar(1, l, k)) }
                    // m P/sin θ is zero at m = 0: already zero.
                } else {
                    let a0 = ((ld + md) * (ld - md + 1)).squareRoot()
                    let b0 = ((ld - md) * (ld + md + 1)).squareRoot()
                    let c1 = ((2 * ld + 1) / (2 * ld + 3)).squareRoot()
                    let a1 = ((ld - md + 1) * (ld - md + 2)).squareRoot()
                    let b1 = ((ld + md + 1) * (ld + md + 2)).squareRoot()
                    for k in 0..<nlat {
                        let d = 0.5 * (a0 * pbar(m - 1, l, k) - b0 * pbar(m + 1, l, k))
                        let q = 0.5 * c1 * (a1 * pbar(m - 1, l + 1, k) + b1 * pbar(m + 1, l + 1, k))
                        values[derivativeRow + k] = T(sign * d)
                        values[orderRow + k] = T(sign * q)
                    }
                }
            }
        }
        self.values = values
    }

    /// Orthonormal `P̄_l^m(x)` without the Condon–Shortley phase, `[mmax][lmax][x.count]`, zero for `m > l`;
    /// torch-harmonics `legpoly`'s recurrence (diagonal, sub-diagonal, then three-term in l).
    static func legendre(mmax: Int, lmax: Int, x: [Double]) -> [Double] {
        let n = x.count
        var out = [Double](repeating: 0, count: mmax * lmax * n)
        var diagonal = [Double](repeating: 1 / (4 * Double.pi).squareRoot(), count: n)
        for m in 0..<min(mmax, lmax) {
            if m > 0 {
                for k in 0..<n {
                    diagonal[k] = (Double(2 * m + 1) * (1 + x[k]) * (1 - x[k]) / 2 / Double(m)).squareRoot() * diagonal[k]
                }
            }
            let md = Double(m)
            for k in 0..<n {
                var previous = 0.0
                var current = diagonal[k]
                out[(m * lmax + m) * n + k] = current
                guard m + 1 < lmax else { continue }
                let next = Double(2 * m + 3).squareRoot() * x[k] * current
                out[(m * lmax + m + 1) * n + k] = next
                previous = current
                current = next
                if m + 2 < lmax {
                    for l in (m + 2)..<lmax {
                        let ld = Double(l)
                        let a = ((2 * ld - 1) / (ld - md) * (2 * ld + 1) / (ld + md)).squareRoot()
                        let b = ((ld + md - 1) / (ld - md) * (2 * ld + 1) / (2 * ld - 3) * (ld - md - 1) / (ld + md)).squareRoot()
                        let value = a * x[k] * current - b * previous
                        out[(m * lmax + l) * n + k] = value
                        previous = current
                        current = value
                    }
                }
            }
        }
        return out
    }
}
