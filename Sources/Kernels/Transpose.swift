/// Out-of-place matrix transpose in cache-sized tiles: `destination[c][r] = source[r][c]` for
/// `r < rows`, `c < columns`, with row strides (in elements) `sourceStride` and `destinationStride`.
/// Tiling keeps both the reads and the writes within a few pages at a time, which matters when the
/// rows are megabytes apart (the spectra of a batch of 0.25° fields).
@inlinable
public func transpose<Element>(_ source: UnsafePointer<Element>, rows: Int, columns: Int, sourceStride: Int,
                               into destination: UnsafeMutablePointer<Element>, destinationStride: Int) {
    let tile = 32
    var r0 = 0
    while r0 < rows {
        let r1 = min(r0 + tile, rows)
        var c0 = 0
        while c0 < columns {
            let c1 = min(c0 + tile, columns)
            for r in r0..<r1 {
                let src = source + r * sourceStride
                for c in c0..<c1 { destination[c * destinationStride + r] = src[c] }
            }
            c0 = c1
        }
        r0 = r1
    }
}
