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
/// memory); the inverse mirrors it. The
/// arithmetic is that of the plain way: FFTW gives every row of a call of two rows or more the same numbers
/// (`FFTPlanCache`), and the fold is the same expression, so the results are bitwise those of the
/// distributed transform, which still takes the plain way.
extension RealSHT {
    /// Fields per FFT call: a pair's rows and spectra (4 × 16 × nlon values, 370 KB at 1440 longitudes in
    /// Float) stay in L2.
    static var fieldsPerChunk: Int { 16 }

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

    /// `body(k, arena)` for the northern latitudes `k < nhalf` (each with its southern partner), shared out
    /// round-robin over the rank's threads, each thread with its own scratch arena.
    private func forEachLatitudePair(arena: ScratchArena, _ body: (Int, ScratchArena) -> Void) {
        shareOut(nhalf) { part, parts in
            let mine = stride(from: part, to: nhalf, by: parts)
            if part == 0 {
                for k in mine { body(k, arena) }
            } else {
                scratch.withArena { arena in for k in mine { body(k, arena) } }
            }
        }
    }

    /// Forward FFTs of `batch ≥ 2` fields `[batch][nlat][nlon]`, weighted and folded by parity into
    /// `folded` `[even | odd][nhalf][mmax][batch]` (the input of `legendreAnalysis` in the interleaved layout).
    func foldedSpectra(_ fields: UnsafePointer<T>, batch: Int, into folded: UnsafeMutablePointer<Complex<T>>,
                       arena: ScratchArena) {
        let mlen = nlon / 2 + 1
        let chunks = fieldChunks(batch)
        let largest = chunks.map(\.count).max() ?? 0
        forEachLatitudePair(arena: arena) { k, arena in
            let south = nlat - 1 - k
            let pairs = south == k ? 1 : 2     // the equator of an odd grid has no partner
            let rows = arena.memory(ScratchSlot.latitudeRows, count: 2 * largest * nlon, of: T.self)
            let spectra = arena.memory(ScratchSlot.latitudeSpectra, count: 2 * largest * mlen, of: Complex<T>.self)
            let w = scaledWeights[k]
            for chunk in chunks {
                let n = chunk.count
                for (i, b) in chunk.enumerated() {
                    (rows + i * nlon).update(from: fields + (b * nlat + k) * nlon, count: nlon)
                    if pairs == 2 { (rows + (n + i) * nlon).update(from: fields + (b * nlat + south) * nlon, count: nlon) }
                }
                fft.plan(rows: pairs * n).forward(rows, spectra)
                let northern = UnsafeRawPointer(spectra).assumingMemoryBound(to: T.self)
                let southern = northern + 2 * n * mlen
                for m in 0..<mmax {
                    let even = UnsafeMutableRawPointer(folded + (k * mmax + m) * batch + chunk.lowerBound)
                        .assumingMemoryBound(to: T.self)
                    let odd = UnsafeMutableRawPointer(folded + ((nhalf + k) * mmax + m) * batch + chunk.lowerBound)
                        .assumingMemoryBound(to: T.self)
                    for i in 0..<n {
                        let north = northern + 2 * (i * mlen + m)
                        if pairs == 1 {
                            even[2 * i] = w * north[0]; even[2 * i + 1] = w * north[1]
                            odd[2 * i] = 0; odd[2 * i + 1] = 0
                        } else {
                            let south = southern + 2 * (i * mlen + m)
                            even[2 * i] = w * (north[0] + south[0]); even[2 * i + 1] = w * (north[1] + south[1])
                            odd[2 * i] = w * (north[0] - south[0]); odd[2 * i + 1] = w * (north[1] - south[1])
                        }
                    }
                }
            }
        }
    }

    /// The inverse of `foldedSpectra`: `parts` `[even | odd][nhalf][mmax][batch]` (what
    /// `legendreSynthesis` writes in the interleaved layout) unfolded (`north = even + odd`, `south = even − odd`),
    /// zero above mmax, and transformed back into `fields` `[batch][nlat][nlon]`. `batch ≥ 2`.
    func fieldsFromParts(_ parts: UnsafePointer<Complex<T>>, batch: Int, into fields: UnsafeMutablePointer<T>,
                         arena: ScratchArena) {
        let mlen = nlon / 2 + 1
        let chunks = fieldChunks(batch)
        let largest = chunks.map(\.count).max() ?? 0
        forEachLatitudePair(arena: arena) { k, arena in
            let south = nlat - 1 - k
            let pairs = south == k ? 1 : 2
            let rows = arena.memory(ScratchSlot.latitudeRows, count: 2 * largest * nlon, of: T.self)
            let spectra = arena.memory(ScratchSlot.latitudeSpectra, count: 2 * largest * mlen, of: Complex<T>.self)
            for chunk in chunks {
                let n = chunk.count
                let northern = UnsafeMutableRawPointer(spectra).assumingMemoryBound(to: T.self)
                let southern = northern + 2 * n * mlen
                for m in 0..<mmax {
                    let even = UnsafeRawPointer(parts + (k * mmax + m) * batch + chunk.lowerBound)
                        .assumingMemoryBound(to: T.self)
                    let odd = UnsafeRawPointer(parts + ((nhalf + k) * mmax + m) * batch + chunk.lowerBound)
                        .assumingMemoryBound(to: T.self)
                    for i in 0..<n {
                        let north = northern + 2 * (i * mlen + m)
                        north[0] = even[2 * i] + odd[2 * i]
                        north[1] = even[2 * i + 1] + odd[2 * i + 1]
                        if pairs == 2 {
                            let south = southern + 2 * (i * mlen + m)
                            south[0] = even[2 * i] - odd[2 * i]
                            south[1] = even[2 * i + 1] - odd[2 * i + 1]
                        }
                    }
                }
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
}
