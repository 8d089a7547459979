import CFFTW

/// FFTW's build.
public enum FFTWConfiguration {
    /// e.g. "fftw-3.3.10-sse2-avx".
    public static var version: String { String(cString: myriad_fftwf_version()) }
}
