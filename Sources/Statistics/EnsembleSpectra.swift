import Kernels
import Sphere

/// Angular power spectra of the ensemble: `E(l) = Σ_m c_m |a_lm|²` of the orthonormal real SHT
/// (`Sphere.powerSpectrum`), in float64. `InSituStatistics` takes each member's spectrum where the member
/// is and the spectrum of the gathered ensemble mean (docs/statistics.md).
public enum EnsembleSpectra {
    /// The spectrum of one field (a member, the ensemble mean), [lmax]. - field: [nlat][nlon], north → south
    public static func spectrum(of field: [Double], sht: RealSHT<Double>) -> [Double] {
        precondition(field.count == sht.nlat * sht.nlon, "EnsembleSpectra.spectrum: \(field.count) values for \(sht.nlat) × \(sht.nlon)")
        let coefficients = sht.forward(field, batch: 1)
        return coefficients.withUnsafeBufferPointer { powerSpectrum($0, batch: 1, lmax: sht.lmax, mmax: sht.mmax) }
    }
}
