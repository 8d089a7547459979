import Foundation

/// The extreme forecast index (Lalaurette 2003; Zsótér 2006) of an ensemble against a model climate, as
/// earthkit-meteo 1.2.1 computes it (`earthkit.meteo.extreme.array.efi`):
///
///     EFI = (2/π) ∫₀¹ (p − F_f(p)) / sqrt(p (1 − p)) dp,
///
/// F_f(p) the share of members at or below the climate's p-quantile. With Q climate quantiles at
/// `p_j = j/(Q − 1)` and F_j the share of members `≤ c_j`, the integral is taken exactly for F linear
/// between the p_j: per interval, with `Δacos_j = acos√p_{j+1} − acos√p_j`, `Δprod_j = √(p_{j+1}(1 − p_{j+1}))
/// − √(p_j(1 − p_j))`, `F'_j = (F_{j+1} − F_j)(Q − 1)` and `a_j = (1 − 2p_j) Δacos_j + Δprod_j`,
///
///     dEFI_j = (2F_j − 1) Δacos_j + a_j F'_j − Δprod_j,   EFI = (2/π) Σ_j dEFI_j.
///
/// With `eps > 0` (fields bounded below, e.g. precipitation) only intervals whose upper climate quantile
/// exceeds eps count, and the sum is divided by `max(Σ_j (−Δacos_j − Δprod_j), eps)` over those intervals
/// instead of multiplied by 2/π. NaN when a member or climate value is NaN. Ranges from −1 to 1.
public enum ExtremeForecastIndex {
    /// The interval coefficients for Q climate quantiles.
    public struct Coefficients: Sendable {
        public let acosDifference: [Double], productDifference: [Double], a: [Double]

        public init(quantileCount q: Int) {
            precondition(q >= 2, "EFI: need at least 2 climate quantiles, got \(q)")
            let p: [Double] = (0..<q).map { Double($0) / Double(q - 1) }
            var acosDifference = [Double](), productDifference = [Double](), a = [Double]()
            for j in 0..<(q - 1) {
                let da: Double = acos(p[j + 1].squareRoot()) - acos(p[j].squareRoot())
                let upper: Double = (p[j + 1] * (1 - p[j + 1])).squareRoot()
                let lower: Double = (p[j] * (1 - p[j])).squareRoot()
                acosDifference.append(da)
                productDifference.append(upper - lower)
                a.append((1 - 2 * p[j]) * da + (upper - lower))
            }
            self.acosDifference = acosDifference
            self.productDifference = productDifference
            self.a = a
        }
    }

    /// EFI of one point. - sortedMembers: the members ascending; climate: the Q climate quantiles ascending.
    public static func efi(sortedMembers x: UnsafeBufferPointer<Double>, climate: UnsafeBufferPointer<Double>,
                           coefficients: Coefficients, eps: Double = -0.1) -> Double {
        let q = climate.count
        precondition(coefficients.a.count == q - 1, "EFI: coefficients for \(coefficients.a.count + 1) quantiles, climate has \(q)")
        if x.contains(where: { $0.isNaN }) || climate.contains(where: { $0.isNaN }) { return .nan }
        let m = Double(x.count)
        func fraction(_ j: Int) -> Double { Double(SortedEnsemble.notAbovePosition(x, climate[j])) / m }
        var efi = 0.0, efiMax = 0.0
        var lower = fraction(0)
        for j in 0..<(q - 1) {
            let upper = fraction(j + 1)
            let slope = (upper - lower) * Double(q - 1)
            let term = (2 * lower - 1) * coefficients.acosDifference[j] + coefficients.a[j] * slope - coefficients.productDifference[j]
            if eps > 0 {
                if climate[j + 1] > eps {
                    efi += term
                    efiMax += -coefficients.acosDifference[j] - coefficients.productDifference[j]
                }
            } else {
                efi += term
            }
            lower = upper
        }
        return eps > 0 ? efi / max(efiMax, eps) : efi * 2 / Double.pi
    }

    /// EFI of unsorted members. - members, climate: one point's values
    public static func efi(members: [Double], climate: [Double], eps: Double = -0.1) -> Double {
        let sorted = members.sorted()
        return sorted.withUnsafeBufferPointer { x in
            climate.withUnsafeBufferPointer { efi(sortedMembers: x, climate: $0, coefficients: Coefficients(quantileCount: climate.count), eps: eps) }
        }
    }
}

extension SortedEnsemble {
    /// Members at or below y.
    static func notAbovePosition(_ x: UnsafeBufferPointer<Double>, _ y: Double) -> Int {
        let (below, ties) = position(x, y)
        return below + ties
    }
}
