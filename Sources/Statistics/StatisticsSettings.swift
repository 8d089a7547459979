import Sphere

/// What `InSituStatistics` computes and how: thresholds, quantile levels, the k of the ±kσ count, spectra,
/// the rank tie-breaking seed, and which of the two files (statistics, scores) to write.
public struct StatisticsSettings: Sendable {
    /// Exceedance thresholds τ per variable name (event `value > τ`, strictly); variables not listed have none.
    public var thresholds: [String: [Double]]
    /// Quantile levels in [0, 1] (numpy "linear").
    public var quantileLevels: [Double]
    /// Members with `|x − x̄| > k s` are counted (HENS's 4σ events).
    public var kSigma: Double
    /// Mean member spectrum and spectrum of the ensemble mean per (time, lead, variable).
    public var spectra: Bool
    /// Degrees kept by the spectra (exclusive); nil: the grid's natural truncation.
    public var spectraLmax: Int?
    /// Grid of the fields for the spectra; nil: equiangular when the first latitude is 90°, else Legendre–Gauss.
    public var grid: SphereGrid?
    /// Seed of the rank-histogram tie breaking (`RankTieBreak`).
    public var seed: UInt64
    /// Write statistics.h5 (mean, std, min, max, exceedance, quantiles, ±kσ, spectra, EFI).
    public var statistics: Bool
    /// Write scores.h5 and scores.csv (needs a truth).
    public var scores: Bool
    /// The extreme forecast index against a model climate, or nil for none.
    public var extremeForecastIndex: ExtremeForecastIndexSettings?

    public init(thresholds: [String: [Double]] = [:], quantileLevels: [Double] = [], kSigma: Double = 4,
                spectra: Bool = false, spectraLmax: Int? = nil, grid: SphereGrid? = nil, seed: UInt64 = 0,
                statistics: Bool = true, scores: Bool = true,
                extremeForecastIndex: ExtremeForecastIndexSettings? = nil) {
        precondition(quantileLevels.allSatisfy { $0 >= 0 && $0 <= 1 }, "quantile levels must lie in [0, 1]: \(quantileLevels)")
        precondition(kSigma > 0, "kSigma must be positive, got \(kSigma)")
        self.thresholds = thresholds
        self.quantileLevels = quantileLevels
        self.kSigma = kSigma
        self.spectra = spectra
        self.spectraLmax = spectraLmax
        self.grid = grid
        self.seed = seed
        self.statistics = statistics
        self.scores = scores
        self.extremeForecastIndex = extremeForecastIndex
    }

    /// The per-variable score configuration.
    func configuration(for variable: String) -> ScoreConfiguration {
        ScoreConfiguration(thresholds: thresholds[variable] ?? [], quantileLevels: quantileLevels, kSigma: kSigma, seed: seed)
    }
}

/// The model climate of the EFI: an HDF5 file with, per variable name, a float32 dataset `<name>` of shape
/// `[quantile, lat, lon]` (one climate for every lead time) or `[lead_time, quantile, lat, lon]` (one per lead
/// index of the run), the quantiles at the equally spaced levels `p_j = j/(Q − 1)`, `j = 0 … Q − 1`,
/// ascending at each point (earthkit-meteo's convention). Variables without a dataset get no EFI.
public struct ExtremeForecastIndexSettings: Sendable {
    public var climatePath: String
    /// earthkit-meteo's `eps`: ≤ 0 the plain EFI; > 0 the variant for fields bounded below by 0
    /// (precipitation), normalised over the climate quantiles above eps.
    public var eps: Double

    public init(climatePath: String, eps: Double = -0.1) {
        self.climatePath = climatePath
        self.eps = eps
    }
}
