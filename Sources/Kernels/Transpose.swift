/// Out-of-place matrix transpose in cache-sized tiles: `destination[c][r] = source[r][c]` for
/// `r < rows`, `c < columns`, with row strides (in elements) `sourceStride` and `destinationStride`.
/// Tiling keeps both the reads and the writes within a few pages at a time, which matters when the
/// rows are megabytes apart (the spectra of a batch of 0.25° fields).
///
/// `tile` sets the tile's extent in rows and columns. `(rows, 1)` writes each destination row in one run,
/// `(1, columns)` reads each source row in one run: the better orders when one side is a small block that
/// stays in cache and the other's rows lie pages apart.
@inlinable
public func transpose<Element>(_ source: UnsafePointer<Element>, rows: Int, columns: Int, sourceStride: Int,
                               into destination: UnsafeMutablePointer<Element>, destinationStride: Int,
                               tile: (rows: Int, columns: Int) = (32, 32)) {
    var r0 = 0
    while r0 < rows {
        let r1 = min(r0 + max(tile.rows, 1), rows)
        var c0 = 0
        while c0 < columns {
            let c1 = min(c0 + max(tile.columns, 1), columns)
            for r in r0..<r1 {
                let src = source + r * sourceStride
                for c in c0..<c1 { destination[c * destinationStride + r] = src[c] }
            }
            c0 = c1
        }
        r0 = r1
    }
}

/// `transpose` with the source rows shared out over the rank's threads (each part writes its own destination
/// columns): a single field's 4 MB spectra at 0.25° would otherwise leave the other threads idle.
@inlinable
public func parallelTranspose<Element>(_ source: UnsafePointer<Element>, rows: Int, columns: Int, sourceStride: Int,
                                       into destination: UnsafeMutablePointer<Element>, destinationStride: Int) {
    parallelRanges(rows, minimumPerThread: max(32, (1 << 16) / max(columns, 1))) { part in
        transpose(source + part.lowerBound * sourceStride, rows: part.count, columns: columns,
                  sourceStride: sourceStride, into: destination + part.lowerBound, destinationStride: destinationStride)
    }
}
