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

/// `transpose` in 4 × 4 tiles turned in SIMD registers when the elements are 8 bytes (a complex Float, a
/// Double), element by element otherwise. The loop over tiles runs with the fields outside (`fieldsAre`): each
/// field's run is read or written four fields at a time while the other side, a block of one degree that
/// stays in cache, is visited in full for them — the turns between `[batch][lmax][mmax]` coefficients and the
/// degree-major blocks of the Legendre stage, where the element-wise copies took 7 % of a batch-64 forward
/// transform at 721 × 1440 (5 % in tiles).
@inlinable
public func transposeInTiles<Element>(_ source: UnsafePointer<Element>, rows: Int, columns: Int, sourceStride: Int,
                                      into destination: UnsafeMutablePointer<Element>, destinationStride: Int,
                                      fieldsAre dimension: TransposeFields) {
    guard MemoryLayout<Element>.stride == 8 else {
        transpose(source, rows: rows, columns: columns, sourceStride: sourceStride, into: destination,
                  destinationStride: destinationStride, tile: dimension == .rows ? (4, columns) : (rows, 4))
        return
    }
    typealias D = SIMD4<Double>
    let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(destination)
    @inline(__always) func tile(_ r: Int, _ c: Int) {
        @inline(__always) func load(_ i: Int) -> D {
            from.loadUnaligned(fromByteOffset: ((r + i) * sourceStride + c) * 8, as: D.self)
        }
        let t = transposed4x4(load(0), load(1), load(2), load(3))
        @inline(__always) func store(_ v: D, _ j: Int) {
            to.storeBytes(of: v, toByteOffset: ((c + j) * destinationStride + r) * 8, as: D.self)
        }
        store(t.0, 0)
        store(t.1, 1)
        store(t.2, 2)
        store(t.3, 3)
    }
    let fullRows = rows / 4 * 4, fullColumns = columns / 4 * 4
    if dimension == .rows {
        for r in stride(from: 0, to: fullRows, by: 4) { for c in stride(from: 0, to: fullColumns, by: 4) { tile(r, c) } }
    } else {
        for c in stride(from: 0, to: fullColumns, by: 4) { for r in stride(from: 0, to: fullRows, by: 4) { tile(r, c) } }
    }
    // The edges: columns past the full tiles of the full rows, then the rows past them.
    for r in 0..<fullRows { for c in fullColumns..<columns { destination[c * destinationStride + r] = source[r * sourceStride + c] } }
    for r in fullRows..<rows { for c in 0..<columns { destination[c * destinationStride + r] = source[r * sourceStride + c] } }
}

/// Which side of a `transposeInTiles` holds the fields: its outer loop runs over tiles of four of them.
public enum TransposeFields: Sendable {
    case rows, columns
}

/// The 4 × 4 transpose of four rows of 8-byte values held in registers (a complex Float is one such value):
/// row j of the result is element j of each row. The compiler makes it of unpacks and lane permutes; it only
/// moves bits.
@inlinable @inline(__always)
public func transposed4x4(_ r0: SIMD4<Double>, _ r1: SIMD4<Double>, _ r2: SIMD4<Double>, _ r3: SIMD4<Double>)
    -> (SIMD4<Double>, SIMD4<Double>, SIMD4<Double>, SIMD4<Double>) {
    (SIMD4(r0[0], r1[0], r2[0], r3[0]), SIMD4(r0[1], r1[1], r2[1], r3[1]),
     SIMD4(r0[2], r1[2], r2[2], r3[2]), SIMD4(r0[3], r1[3], r2[3], r3[3]))
}
