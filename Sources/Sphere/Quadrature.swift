import Foundation

/// Latitude nodes and weights of a grid, north → south: `cosTheta[k] = cos θ_k` decreasing from
/// (near) +1 to −1, and `weights[k]` with `Σ_k weights[k] f(cos θ_k) ≈ ∫_{−1}^{1} f(x) dx`.
/// Both grids are symmetric about the equator: node `nlat−1−k` mirrors node `k`.
public struct Quadrature: Sendable {
    public let grid: SphereGrid
    public let cosTheta: [Double]
    public let weights: [Double]

    public var count: Int { cosTheta.count }

    public init(grid: SphereGrid, nlat: Int) {
        precondition(nlat >= 2, "Quadrature: need at least 2 latitudes, got \(nlat)")
        self.grid = grid
        switch grid {
        case .equiangular: (cosTheta, weights) = Quadrature.clenshawCurtis(nlat)
        case .legendreGauss: (cosTheta, weights) = Quadrature.legendreGauss(nlat)
        }
    }

    /// Latitudes in degrees, north → south.
    public var latitudesDegrees: [Double] { cosTheta.map { 90 - acos(max(-1, min(1, $0))) * 180 / .pi } }

    /// Clenshaw–Curtis on `θ_k = πk/(n−1)`: the closed form of Waldvogel's weights, which
    /// torch-harmonics computes by FFT (identical to rounding):
    /// `w_k = (c_k/N) (1 − Σ_{j=1}^{⌊N/2⌋} b_j cos(2jθ_k)/(4j²−1))`, `N = n−1`,
    /// `c_k = 1` at the poles and 2 elsewhere, `b_j = 1` for `j = N/2` and 2 otherwise.
    static func clenshawCurtis(_ n: Int) -> ([Double], [Double]) {
        let N = n - 1
        var x = [Double](repeating: 0, count: n)
        var w = [Double](repeating: 0, count: n)
        for k in 0..<n {
            let theta = Double.pi * Double(k) / Double(N)
            // Exact symmetry and exact zero at the equator, as cos of π k/N does not give them.
            x[k] = 2 * k == N ? 0 : (2 * k < N ? cos(theta) : -cos(Double.pi * Double(N - k) / Double(N)))
            var sum = 0.0
            if N >= 2 {
                for j in 1...(N / 2) {
                    let b: Double = 2 * j == N ? 1 : 2
                    sum += b * cos(2 * Double(j) * theta) / Double(4 * j * j - 1)
                }
            }
            let c: Double = (k == 0 || k == N) ? 1 : 2
            w[k] = c / Double(N) * (1 - sum)
        }
        for k in 0..<(n / 2) { w[n - 1 - k] = w[k] }
        return (x, w)
    }

    /// Gauss–Legendre nodes by Newton's method on `P_n` from Tricomi's initial guesses, weights
    /// `2 / ((1 − x²) P_n'(x)²)`; accurate to a few ulp for any n.
    static func legendreGauss(_ n: Int) -> ([Double], [Double]) {
        var x = [Double](repeating: 0, count: n)
        var w = [Double](repeating: 0, count: n)
        let nd = Double(n)
        for i in 0..<((n + 1) / 2) {
            // i-th root counted from x = +1 (north).
            var z = cos(Double.pi * (Double(i) + 0.75) / (nd + 0.5))
            for _ in 0..<100 {
                let step = legendreValueAndDerivative(n, z)
                z -= step.value / step.derivative
                if abs(step.value / step.derivative) < 1e-16 { break }
            }
            let derivative = legendreValueAndDerivative(n, z).derivative
            let isCentre = 2 * i + 1 == n
            x[i] = isCentre ? 0 : z
            x[n - 1 - i] = isCentre ? 0 : -z
            let weight = 2 / ((1 - z * z) * derivative * derivative)
            w[i] = weight
            w[n - 1 - i] = weight
        }
        return (x, w)
    }

    /// `P_n(z)` and `P_n'(z)` by the three-term recurrence (n ≥ 1, |z| < 1).
    private static func legendreValueAndDerivative(_ n: Int, _ z: Double) -> (value: Double, derivative: Double) {
        var previous = 1.0
        var current = z
        if n >= 2 {
            for k in 2...n {
                (previous, current) = (current, (Double(2 * k - 1) * z * current - Double(k - 1) * previous) / Double(k))
            }
        }
        return (current, Double(n) * (z * current - previous) / (z * z - 1))
    }
}
