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

/// Swaps the outer and inner axes of a 3-D array: `destination[i][j][o] = source[o][j][i]` for
/// `o < outer`, `j < middle`, `i < inner`. Source rows `(o, j)` start `innerStride` (≥ `inner`) elements
/// apart, destination rows `(i, j)` start `outerStride` (≥ `outer`, default `outer`) apart. A tiled
/// transpose per middle index, or a single one when the outer or inner axis has one element.
@inlinable
public func permute<Element>(_ source: UnsafePointer<Element>, outer: Int, middle: Int, inner: Int,
                             innerStride: Int, into destination: UnsafeMutablePointer<Element>,
                             outerStride: Int? = nil) {
    let outerStride = outerStride ?? outer
    if outer == 1 && outerStride == 1 {          // [1][j][i] → [i][j][1]
        transpose(source, rows: middle, columns: inner, sourceStride: innerStride, into: destination,
                  destinationStride: middle)
    } else if inner == 1 && innerStride == 1 {   // [o][j][1] → [1][j][o]
        transpose(source, rows: outer, columns: middle, sourceStride: middle, into: destination,
                  destinationStride: outerStride)
    } else {
        // The middle indices write disjoint parts of `destination`: large permutes (the SHT's, hundreds of MB
        // at 0.25°) share them out over the rank's threads instead of leaving all but one idle.
        parallelRanges(middle, minimumPerThread: max(1, (1 << 16) / max(outer * inner, 1))) { range in
            for j in range {
                transpose(source + j * innerStride, rows: outer, columns: inner, sourceStride: middle * innerStride,
                          into: destination + j * outerStride, destinationStride: middle * outerStride)
            }
        }
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
