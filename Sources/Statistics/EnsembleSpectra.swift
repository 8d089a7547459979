import Kernels
import MPI
import Sphere

/// The mean angular power spectrum of the members, `Ē(l) = (1/M) Σ_i E_i(l)`, streaming, one member at a
/// time, and the spectrum of the ensemble mean, `E_x̄(l)` (from `EnsembleMoments.mean`). `E(l) = Σ_m c_m
/// |a_lm|²` of the orthonormal real SHT (`Sphere.powerSpectrum`), in float64.
///
/// Memory: the `lmax` sums, whatever the number of members (plus the SHT's tables, shared).
public struct EnsembleSpectra: @unchecked Sendable {
    public let sht: RealSHT<Double>
    public private(set) var count = 0
    /// Σ_i E_i(l), [lmax]
    public private(set) var sum: [Double]

    public init(sht: RealSHT<Double>) {
        self.sht = sht
        sum = [Double](repeating: 0, count: sht.lmax)
    }

    /// Adds one member's field. - member: [nlat][nlon], latitudes north → south
    public mutating func add(_ member: [Float]) {
        precondition(member.count == sht.nlat * sht.nlon, "EnsembleSpectra.add: \(member.count) values for \(sht.nlat) × \(sht.nlon)")
        let power = EnsembleSpectra.spectrum(of: member.map(Double.init), sht: sht)
        for l in 0..<sum.count { sum[l] += power[l] }
        count += 1
    }

    /// `Ē(l)`, [lmax]
    public var meanMemberSpectrum: [Double] { sum.map { $0 / Double(count) } }

    /// The spectrum of one field (e.g. the ensemble mean). - field: [nlat][nlon]
    public static func spectrum(of field: [Double], sht: RealSHT<Double>) -> [Double] {
        let coefficients = sht.forward(field, batch: 1)
        return coefficients.withUnsafeBufferPointer { powerSpectrum($0, batch: 1, lmax: sht.lmax, mmax: sht.mmax) }
    }

    /// All ranks' members (disjoint), on every rank: one sum-allreduce of lmax + 1 values.
    public func reduced(over communicator: Communicator) throws -> EnsembleSpectra {
        guard communicator.size > 1 else { return self }
        let all = try communicator.allreduced(sum + [Double(count)], .sum)
        var result = self
        result.sum = Array(all.dropLast())
        result.count = Int(all[all.count - 1])
        return result
    }
}
