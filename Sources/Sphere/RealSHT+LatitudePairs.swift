import ComplexModule
import Kernels

/// The Fourier stage of a batch, one north/south pair of latitudes at a time, folded straight into the
/// layout the Legendre GEMMs read.
///
/// The plain way — FFT every row into a `[batch][nlat][mlen]` spectrum, permute it to `[m][nlat][batch]`,
/// then fold north/south pairs per order — streams the 250 MB spectrum of a 0.25° batch through memory three
/// times; the permutes alone were a quarter of a batch-64 transform (perf, two threads). Here eight fields'
/// rows of a latitude are read straight from the fields into the lanes of the longitude FFT (`LaneRealFFT`),
/// and their spectra, fields side by side in the lanes, are folded (`even = w(N + S)`, `odd = w(N − S)`) into
/// `[even | odd][nhalf][m][batch]` while still in cache (`foldLanes`); the inverse mirrors it
/// (`unfoldLanes`). The arithmetic is that of the plain way: a row's FFT does not depend on the rows beside
/// it, and the fold is the same expression, so the results are bitwise those of the distributed transform,
/// which still takes the plain way.
extension RealSHT {
    /// `body(k, south, north, southLanes, workspace)` for the northern latitudes `k < nhalf` (`south` the
    /// southern partner `nlat − 1 − k`, nil for the equator of an odd grid), with the thread's spectrum lanes
    /// for eight fields of each and the FFT's work space. Latitudes are shared out round-robin over the rank's
    /// threads, each thread with its own scratch arena.
    private func forEachLatitudePair(arena: ScratchArena,
                                     _ body: (_ k: Int, _ south: Int?, _ north: SpectrumLanes<T>, _ southLanes: SpectrumLanes<T>,
                                              _ workspace: UnsafeMutablePointer<SIMD8<T>>) -> Void) {
        let nlat = self.nlat, nhalf = self.nhalf
        let mlen = fft.spectrumLength, workspaceCount = fft.lanes.workspaceCount
        func run(_ latitudes: StrideTo<Int>, _ arena: ScratchArena) {
            let lanes = arena.memory(ScratchSlot.spectrumLanes, count: 4 * mlen + workspaceCount, of: SIMD8<T>.self)
            let north = SpectrumLanes(re: lanes, im: lanes + mlen), south = SpectrumLanes(re: lanes + 2 * mlen, im: lanes + 3 * mlen)
            for k in latitudes { body(k, nlat - 1 - k == k ? nil : nlat - 1 - k, north, south, lanes + 4 * mlen) }
        }
        shareOut(nhalf) { part, parts in
            let mine = stride(from: part, to: nhalf, by: parts)
            if part == 0 { run(mine, arena) } else { scratch.withArena { run(mine, $0) } }
        }
    }

    /// Forward FFTs of `batch ≥ 2` fields `[batch][nlat][nlon]`, weighted and folded by parity into
    /// `folded` `[even | odd][nhalf][mmax][batch]` (the input of `legendreAnalysis` in the interleaved layout).
    func foldedSpectra(_ fields: UnsafePointer<T>, batch: Int, into folded: UnsafeMutablePointer<Complex<T>>,
                       arena: ScratchArena) {
        let plane = nlat * nlon, lanes = fft.lanes
        forEachLatitudePair(arena: arena) { k, south, northLanes, southLanes, workspace in
            for first in stride(from: 0, to: batch, by: 8) {
                let count = min(8, batch - first)
                lanes.forward(rows: fields + (first * nlat + k) * nlon, rowStride: plane, count: count,
                              re: northLanes.re, im: northLanes.im, workspace: workspace)
                if let south {
                    lanes.forward(rows: fields + (first * nlat + south) * nlon, rowStride: plane, count: count,
                                  re: southLanes.re, im: southLanes.im, workspace: workspace)
                }
                foldLanes(north: northLanes, south: south == nil ? nil : southLanes, fields: count, orders: mmax,
                          weight: scaledWeights[k], even: folded + k * mmax * batch + first,
                          odd: folded + (nhalf + k) * mmax * batch + first, stride: batch)
            }
        }
    }

    /// The inverse of `foldedSpectra`: `parts` `[even | odd][nhalf][mmax][batch]` (what
    /// `legendreSynthesis` writes in the interleaved layout) unfolded (`north = even + odd`, `south = even − odd`),
    /// zero above mmax, and transformed back into `fields` `[batch][nlat][nlon]`. `batch ≥ 2`.
    func fieldsFromParts(_ parts: UnsafePointer<Complex<T>>, batch: Int, into fields: UnsafeMutablePointer<T>,
                         arena: ScratchArena) {
        let plane = nlat * nlon, lanes = fft.lanes, mlen = fft.spectrumLength
        forEachLatitudePair(arena: arena) { k, south, northLanes, southLanes, workspace in
            for first in stride(from: 0, to: batch, by: 8) {
                let count = min(8, batch - first)
                unfoldLanes(even: parts + k * mmax * batch + first, odd: parts + (nhalf + k) * mmax * batch + first,
                            stride: batch, fields: count, orders: mmax, spectrumLength: mlen, north: northLanes,
                            south: south == nil ? nil : southLanes)
                lanes.inverse(re: northLanes.re, im: northLanes.im, rows: fields + (first * nlat + k) * nlon,
                              rowStride: plane, count: count, workspace: workspace)
                if let south {
                    lanes.inverse(re: southLanes.re, im: southLanes.im, rows: fields + (first * nlat + south) * nlon,
                                  rowStride: plane, count: count, workspace: workspace)
                }
            }
        }
    }
}
