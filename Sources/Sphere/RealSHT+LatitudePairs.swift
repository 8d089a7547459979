import ComplexModule
import Kernels

/// The Fourier stage of a batch, one north/south pair of latitudes at a time, folded straight into the
/// layout the Legendre GEMMs read.
///
/// The plain way — FFT every row into a `[batch][nlat][mlen]` spectrum, permute it to `[m][nlat][batch]`,
/// then fold north/south pairs per order — streams the 250 MB spectrum of a 0.25° batch through memory three
/// times; the permutes alone were a quarter of a batch-64 transform (perf, two threads). Here a pair's rows
/// of a few fields are copied into a small buffer, transformed there, and folded (`even = w(N + S)`,
/// `odd = w(N − S)`) into `[even | odd][nhalf][m][batch]` while still in cache (a pair's orders are one run of
/// memory), in 4 × 4 SIMD tiles (`foldAndTurn`); the inverse mirrors it (`turnAndUnfold`). The
/// arithmetic is that of the plain way: FFTW gives every row of a call of two rows or more the same numbers
/// (`FFTPlanCache`), and the fold is the same expression, so the results are bitwise those of the
/// distributed transform, which still takes the plain way.
extension RealSHT {
    /// Fields per FFT call. With 64 (a whole pass at 0.25°) an order's values of a pair are one run of 512
    /// bytes in the folded array, read or written in one go: a third of the time in the unfold that 16 fields
    /// (128-byte runs, a pair's rows and spectra in L2) took, perf, batch 64 at 721 × 1440. The pair's
    /// buffers (1.5 MB) live in L3.
    static var fieldsPerChunk: Int { 64 }

    /// Consecutive pieces of `0 ..< batch` of at most `fieldsPerChunk` fields, none a lone field (FFTW rounds
    /// a lone row differently from a batch: the last field joins the piece before it). `batch ≥ 2`.
    func fieldChunks(_ batch: Int) -> [Range<Int>] {
        let size = Self.fieldsPerChunk
        var chunks = stride(from: 0, to: batch, by: size).map { $0..<min($0 + size, batch) }
        if chunks.count > 1, chunks[chunks.count - 1].count == 1 {
            chunks[chunks.count - 2] = chunks[chunks.count - 2].lowerBound..<batch
            chunks.removeLast()
        }
        return chunks
    }

    /// `body(k, pairs, chunk, rows, spectra)` for the northern latitudes `k < nhalf` (`pairs` = 2 with the
    /// southern partner `nlat − 1 − k`, 1 for the equator of an odd grid) and each chunk of fields
    /// (`fieldChunks`), with the thread's buffers for the chunk's rows `[pairs · n][nlon]` and spectra
    /// `[pairs · n][nlon/2 + 1]`, northern rows first. Latitudes are shared out round-robin over the rank's
    /// threads, each thread with its own scratch arena.
    private func forEachLatitudePair(batch: Int, arena: ScratchArena,
                                     _ body: (_ k: Int, _ pairs: Int, _ chunk: Range<Int>, _ rows: UnsafeMutablePointer<T>,
                                              _ spectra: UnsafeMutablePointer<Complex<T>>) -> Void) {
        let chunks = fieldChunks(batch)
        let largest = chunks.map(\.count).max() ?? 0
        let nlon = self.nlon, nlat = self.nlat, nhalf = self.nhalf
        func run(_ latitudes: StrideTo<Int>, _ arena: ScratchArena) {
            let rows = arena.memory(ScratchSlot.latitudeRows, count: 2 * largest * nlon, of: T.self)
            let spectra = arena.memory(ScratchSlot.latitudeSpectra, count: 2 * largest * (nlon / 2 + 1), of: Complex<T>.self)
            for k in latitudes {
                for chunk in chunks { body(k, nlat - 1 - k == k ? 1 : 2, chunk, rows, spectra) }
            }
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
        let mlen = nlon / 2 + 1
        forEachLatitudePair(batch: batch, arena: arena) { k, pairs, chunk, rows, spectra in
            let south = nlat - 1 - k
            let w = scaledWeights[k]
            let n = chunk.count
            for (i, b) in chunk.enumerated() {
                (rows + i * nlon).update(from: fields + (b * nlat + k) * nlon, count: nlon)
                if pairs == 2 { (rows + (n + i) * nlon).update(from: fields + (b * nlat + south) * nlon, count: nlon) }
            }
            fft.plan(rows: pairs * n).forward(rows, spectra)
            // Fold and turn into runs of n fields per order: the northern rows give the even parts, the
            // southern ones the odd parts.
            foldAndTurn(north: spectra, south: pairs == 2 ? UnsafePointer(spectra + n * mlen) : nil, rowStride: mlen,
                        fields: n, orders: mmax, weight: w,
                        even: folded + k * mmax * batch + chunk.lowerBound,
                        odd: folded + (nhalf + k) * mmax * batch + chunk.lowerBound, stride: batch)
        }
    }

    /// The inverse of `foldedSpectra`: `parts` `[even | odd][nhalf][mmax][batch]` (what
    /// `legendreSynthesis` writes in the interleaved layout) unfolded (`north = even + odd`, `south = even − odd`),
    /// zero above mmax, and transformed back into `fields` `[batch][nlat][nlon]`. `batch ≥ 2`.
    func fieldsFromParts(_ parts: UnsafePointer<Complex<T>>, batch: Int, into fields: UnsafeMutablePointer<T>,
                         arena: ScratchArena) {
        let mlen = nlon / 2 + 1
        forEachLatitudePair(batch: batch, arena: arena) { k, pairs, chunk, rows, spectra in
            let south = nlat - 1 - k
            let n = chunk.count
            // Each parity's runs of n fields per order, unfolded into [n][mlen] rows (northern rows first).
            turnAndUnfold(even: parts + k * mmax * batch + chunk.lowerBound,
                          odd: parts + (nhalf + k) * mmax * batch + chunk.lowerBound, stride: batch,
                          fields: n, orders: mmax, north: spectra, south: pairs == 2 ? spectra + n * mlen : nil,
                          rowStride: mlen)
            if mmax < mlen {
                for row in 0..<(pairs * n) { (spectra + row * mlen + mmax).update(repeating: .zero, count: mlen - mmax) }
            }
            fft.plan(rows: pairs * n).inverse(spectra, rows)
            for (i, b) in chunk.enumerated() {
                (fields + (b * nlat + k) * nlon).update(from: rows + i * nlon, count: nlon)
                if pairs == 2 { (fields + (b * nlat + south) * nlon).update(from: rows + (n + i) * nlon, count: nlon) }
            }
        }
    }
}
