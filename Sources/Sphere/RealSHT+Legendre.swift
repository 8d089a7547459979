import ComplexModule
import Kernels

/// How the Legendre stages' arrays are laid out (fields innermost in both).
enum LegendreLayout {
    /// Order-major: spectra `[orders][nlat][batch]`, coefficients `[orders][lmax][batch]`, each order one
    /// contiguous block (the distributed transform, which exchanges orders; single fields).
    case orderMajor
    /// Spectra folded and latitude-major, `[even | odd][nhalf][orders][batch]`; coefficients degree-major,
    /// `[lmax][orders][batch]`. The serial transform of a batch: its Fourier stage (`foldedSpectra`) and the
    /// turn to `[batch][lmax][mmax]` both move long runs, and the GEMMs read and write an order's rows with a
    /// stride instead of through a gather or scatter copy.
    case interleaved
}

/// Slots of a transform's `ScratchArena`. The serial transform and the Legendre stages share one arena
/// per call, so each array has its own slot.
enum ScratchSlot {
    static let fields = 0
    static let spectrum = 1
    static let coefficients = 2
    static let parts = 3
    static let rows = 4
    static let byOrder = 5
    static let latitudeRows = 6
    static let latitudeSpectra = 7
    static let widePlanes = 8
    static let tableBlock = 9
}

/// The Legendre stages: per order m, fold north/south pairs into even and odd parts, then GEMMs against
/// the parity blocks of the table, cut into row blocks that each start at their first significant node.
extension RealSHT {
    /// Rows per GEMM in the forward (analysis) stage: small enough that the polar cut-off follows the
    /// turning point closely, large enough that OpenBLAS runs near its peak. With few fields a GEMM call
    /// costs mostly its packing of the table, so those get one call per parity.
    func analysisBlockRows(batch: Int) -> Int { batch > 8 ? 64 : .max }
    /// Rows per GEMM in the inverse stage, where the rows are the GEMM's inner dimension and every block
    /// re-reads and re-writes the output: larger blocks.
    func synthesisBlockRows(batch: Int) -> Int { batch > 8 ? 128 : .max }

    /// Runs `body(m, arena)` for every order of `orders`, the orders dealt out round-robin over the rank's
    /// threads (the work falls with m), each thread with its own scratch arena. The orders are independent
    /// (each writes its own block) and an order's arithmetic — its GEMMs, single-threaded (`RankThreads`), or
    /// a single field's row-wise kernels — does not depend on its thread, so the results do not depend on the
    /// thread count.
    func forEachOrder(_ orders: Range<Int>, arena: ScratchArena, _ body: (Int, ScratchArena) -> Void) {
        shareOut(orders.count) { part, parts in
            let mine = stride(from: orders.lowerBound + part, to: orders.upperBound, by: parts)
            if part == 0 {
                for m in mine { body(m, arena) }
            } else {
                scratch.withArena { arena in for m in mine { body(m, arena) } }
            }
        }
    }

    /// The Legendre stage of the forward transform for a subset of orders (the hook distribution uses).
    ///
    /// - spectrum: by `layout`, `[orders.count][nlat][batch]` complex Fourier coefficients (unscaled FFTW
    ///   output), or `[even | odd][nhalf][orders.count][batch]` weighted and folded (`foldedSpectra`).
    /// - coefficients: by `layout`, `[coefficientOrders.count][lmax][batch]` or
    ///   `[lmax][coefficientOrders.count][batch]`; order m goes to index `m − coefficientOrders.lowerBound`.
    ///   Orders outside `orders` are left as they are. The degrees below m are zero in the order-major
    ///   layout and left unset in the interleaved one (half of that array; its reader skips them).
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    func legendreAnalysis(spectrum: UnsafePointer<Complex<T>>, batch: Int, orders: Range<Int>,
                          into coefficients: UnsafeMutablePointer<Complex<T>>, coefficientOrders: Range<Int>,
                          layout: LegendreLayout = .orderMajor, arena: ScratchArena) {
        precondition(layout == .orderMajor || batch >= 2, "RealSHT.legendreAnalysis: the interleaved layout needs two fields or more")
        let columns = 2 * batch
        let interleaved = layout == .interleaved
        let source = UnsafeRawPointer(spectrum).assumingMemoryBound(to: T.self)
        let target = UnsafeMutableRawPointer(coefficients).assumingMemoryBound(to: T.self)
        // Consecutive degrees of one order lie `degreeStride` apart.
        let degreeStride = interleaved ? coefficientOrders.count * columns : columns
        forEachOrder(orders, arena: arena) { m, arena in
            let index = m - coefficientOrders.lowerBound
            let degrees = target + index * (interleaved ? 1 : lmax) * columns   // l = 0 of order m
            @inline(__always) func zero(_ range: Range<Int>) {
                for l in range { (degrees + l * degreeStride).update(repeating: 0, count: columns) }
            }
            guard m < lmax else { return interleaved ? () : zero(0..<lmax) }
            if !interleaved { zero(0..<m) }
            let order = source + (m - orders.lowerBound) * (interleaved ? 1 : nlat) * columns
            let folded = arena.memory(ScratchSlot.parts, count: 2 * nhalf * columns, of: T.self)
            if batch == 1 {
                let products = arena.memory(ScratchSlot.rows, count: lmax * columns, of: T.self)   // [evenRows | oddRows][re, im]
                analyseSingleField(m: m, order: order, into: products, planes: folded, arena: arena)
                // Row r of the even block is l = m + 2r, of the odd block l = m + 1 + 2r.
                let evenRows = table.evenCount(m)
                for r in 0..<(evenRows + table.oddCount(m)) {
                    let l = r < evenRows ? m + 2 * r : m + 1 + 2 * (r - evenRows)
                    (degrees + l * degreeStride).update(from: products + r * columns, count: columns)
                }
            } else if interleaved {
                multiplyFolded(m: m, folded: order, rowStride: orders.count * columns, batch: batch,
                               into: degrees + m * degreeStride, degreeStride: degreeStride, arena: arena)
            } else {
                fold(m: m, order: order, batch: batch, into: folded)
                multiplyFolded(m: m, folded: folded, rowStride: columns, batch: batch,
                               into: degrees + m * degreeStride, degreeStride: degreeStride, arena: arena)
            }
        }
    }

    /// The Legendre stage of the inverse transform for a subset of orders.
    ///
    /// - coefficients: by `layout`, `[coefficientOrders.count][lmax][batch]` or
    ///   `[lmax][coefficientOrders.count][batch]`; order m at index `m − coefficientOrders.lowerBound`. Only
    ///   the degrees l ≥ m are read.
    /// - spectrum: by `layout`, `[orders.count][nlat][batch]` (the imaginary part at m = 0 is kept; FFTW's c2r
    ///   ignores it), or `[even | odd][nhalf][orders.count][batch]`, the parts before the north/south unfold
    ///   (`fieldsFromParts` unfolds them).
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    func legendreSynthesis(coefficients: UnsafePointer<Complex<T>>, coefficientOrders: Range<Int>,
                           orders: Range<Int>, batch: Int, into spectrum: UnsafeMutablePointer<Complex<T>>,
                           layout: LegendreLayout = .orderMajor, arena: ScratchArena) {
        precondition(layout == .orderMajor || batch >= 2, "RealSHT.legendreSynthesis: the interleaved layout needs two fields or more")
        let columns = 2 * batch
        let interleaved = layout == .interleaved
        let equator = nlat % 2 == 1 ? nhalf - 1 : -1
        let source = UnsafeRawPointer(coefficients).assumingMemoryBound(to: T.self)
        let target = UnsafeMutableRawPointer(spectrum).assumingMemoryBound(to: T.self)
        let degreeStride = interleaved ? coefficientOrders.count * columns : columns
        forEachOrder(orders, arena: arena) { m, arena in
            let order = target + (m - orders.lowerBound) * (interleaved ? 1 : nlat) * columns
            // [even | odd][nhalf][batch][re, im], rows `rowStride` apart
            let parts = interleaved ? order : arena.memory(ScratchSlot.parts, count: 2 * nhalf * columns, of: T.self)
            let rowStride = interleaved ? orders.count * columns : columns
            guard m < lmax else {   // no degrees: zero
                for row in 0..<(interleaved ? 2 * nhalf : nlat) { (order + row * rowStride).update(repeating: 0, count: columns) }
                return
            }
            let degrees = source + (m - coefficientOrders.lowerBound) * (interleaved ? 1 : lmax) * columns + m * degreeStride
            if batch == 1 {
                let gathered = arena.memory(ScratchSlot.rows, count: lmax * columns, of: T.self)   // [evenRows | oddRows][re, im]
                let evenRows = table.evenCount(m)
                for r in 0..<(evenRows + table.oddCount(m)) {
                    let l = r < evenRows ? 2 * r : 1 + 2 * (r - evenRows)
                    (gathered + r * columns).update(from: degrees + l * degreeStride, count: columns)
                }
                synthesiseSingleField(m: m, coefficients: gathered, into: order, planes: parts, arena: arena)
                return
            }
            synthesise(m: m, coefficients: degrees, degreeStride: degreeStride, columns: columns, into: parts,
                       rowStride: rowStride, arena: arena)
            if interleaved { return }
            // Unfold: north = even + odd, south = even − odd.
            for k in 0..<nhalf {
                let even = parts + k * columns
                let odd = parts + (nhalf + k) * columns
                let north = order + k * columns
                for j in 0..<columns { north[j] = even[j] + odd[j] }
                if k != equator {
                    let south = order + (nlat - 1 - k) * columns
                    for j in 0..<columns { south[j] = even[j] - odd[j] }
                }
            }
        }
    }

    /// Calls `body(odd, row, count, node, rows, lda)` for order m's blocks of at most `maxRows` rows, both
    /// parities of a block of degrees in turn (`row` counts within the parity): `node` is the first node any
    /// of the block's rows needs (`nhalf` for a block negligible everywhere), `rows` the block's first row at
    /// node 0, rows `lda` apart — in the stored table, or regenerated from the restart pairs into the arena
    /// (`LegendreRows`) when the transform keeps no table. `maxRows` is a multiple of 16 or `.max`, so that
    /// a block of degrees starts a restart segment.
    @inline(__always)
    func forEachTableBlock(m: Int, maxRows: Int, arena: ScratchArena,
                           _ body: (_ odd: Bool, _ row: Int, _ count: Int, _ node: Int, _ rows: UnsafePointer<T>,
                                    _ lda: Int) -> Void) {
        let evenCount = table.evenCount(m), oddCount = table.oddCount(m)   // oddCount ≤ evenCount
        guard evenCount > 0 else { return }
        let blockRows = min(maxRows, evenCount)
        let evenBase = table.evenOffset(m) / nhalf, oddBase = table.oddOffset(m) / nhalf
        @inline(__always) func firstNode(_ base: Int, _ rows: Range<Int>) -> Int {
            Int(table.firstSignificantNode[(base + rows.lowerBound)..<(base + rows.upperBound)].min() ?? Int32(nhalf))
        }
        let seeds = table.regeneratesRows ? table.seeds : nil
        let stride = seeds?.stride ?? nhalf
        let block = seeds.map { arena.memory(ScratchSlot.tableBlock, count: 2 * blockRows * $0.stride, of: Float.self) }
        table.values.withUnsafeBufferPointer { values in
            for row in Swift.stride(from: 0, to: evenCount, by: blockRows) {
                let evenRows = min(blockRows, evenCount - row), oddRows = max(0, min(blockRows, oddCount - row))
                let evenNode = firstNode(evenBase, row..<(row + evenRows))
                let oddNode = oddRows > 0 ? firstNode(oddBase, row..<(row + oddRows)) : nhalf
                let even: UnsafePointer<T>, odd: UnsafePointer<T>
                if let seeds, let block {
                    if min(evenNode, oddNode) < nhalf {
                        seeds.regenerateRows(m: m, degrees: (m + 2 * row)..<min(m + 2 * (row + blockRows), lmax),
                                             fromNode: min(evenNode, oddNode), even: block,
                                             odd: block + blockRows * stride, rowStride: stride)
                    }
                    let rows = UnsafeRawPointer(block).assumingMemoryBound(to: T.self)
                    (even, odd) = (rows, rows + blockRows * stride)
                } else {
                    (even, odd) = (values.baseAddress! + (evenBase + row) * nhalf, values.baseAddress! + (oddBase + row) * nhalf)
                }
                body(false, row, evenRows, evenNode, even, stride)
                if oddRows > 0 { body(true, row, oddRows, oddNode, odd, stride) }
            }
        }
    }

    /// Order m's even and odd parts from its coefficients: `parts[k · rowStride + ·] = Σ_r table[r][k] ·
    /// coefficients[r][·]` per parity (even parts in the first `nhalf` rows, odd parts in the next), block by
    /// block from each block's first significant node, every block adding to the zeroed parts.
    /// - coefficients: degree l = m + i at `i · degreeStride`.
    private func synthesise(m: Int, coefficients: UnsafePointer<T>, degreeStride: Int, columns: Int,
                            into parts: UnsafeMutablePointer<T>, rowStride: Int, arena: ScratchArena) {
        for row in 0..<(2 * nhalf) { (parts + row * rowStride).update(repeating: 0, count: columns) }
        let maxRows = synthesisBlockRows(batch: columns / 2)
        forEachTableBlock(m: m, maxRows: maxRows, arena: arena) { odd, row, count, node, rows, lda in
            guard node < nhalf else { return }
            gemm(.transpose, .none, m: nhalf - node, n: columns, k: count, a: rows + node, lda: lda,
                 b: coefficients + (odd ? degreeStride : 0) + row * 2 * degreeStride, ldb: 2 * degreeStride,
                 beta: 1, c: parts + ((odd ? nhalf : 0) + node) * rowStride, ldc: rowStride)
        }
    }

    // MARK: - Several fields

    /// Order m of `batch` fields: fold north/south pairs (weighted; even part first, odd part second) into
    /// `folded` `[even | odd][nhalf][batch][re, im]`. - order: `[nlat][batch][re, im]`.
    /// `foldedSpectra` does the same arithmetic straight from the FFT.
    private func fold(m: Int, order: UnsafePointer<T>, batch: Int, into folded: UnsafeMutablePointer<T>) {
        let columns = 2 * batch
        let equator = nlat % 2 == 1 ? nhalf - 1 : -1
        let weights = scaledWeights
        for k in 0..<nhalf {
            let w = weights[k]
            let north = order + k * columns
            let south = order + (nlat - 1 - k) * columns
            let even = folded + k * columns
            let odd = folded + (nhalf + k) * columns
            if k == equator {
                for j in 0..<columns { even[j] = w * north[j]; odd[j] = 0 }
            } else {
                for j in 0..<columns {
                    even[j] = w * (north[j] + south[j])
                    odd[j] = w * (north[j] - south[j])
                }
            }
        }
    }

    /// Order m of `batch` folded fields (`[even | odd][nhalf][batch][re, im]`, rows `rowStride` apart): GEMMs
    /// per parity and row block straight into the coefficients, degree l = m + i at `degrees + i · degreeStride`
    /// (row r of the even block is l = m + 2r, of the odd block l = m + 1 + 2r). Degrees no block reaches are
    /// zero.
    private func multiplyFolded(m: Int, folded: UnsafePointer<T>, rowStride: Int, batch: Int,
                                into degrees: UnsafeMutablePointer<T>, degreeStride: Int, arena: ScratchArena) {
        let columns = 2 * batch
        forEachTableBlock(m: m, maxRows: analysisBlockRows(batch: batch), arena: arena) { odd, row, count, node, rows, lda in
            let first = degrees + (odd ? degreeStride : 0) + 2 * row * degreeStride
            guard node < nhalf else {   // negligible everywhere
                for r in 0..<count { (first + 2 * r * degreeStride).update(repeating: 0, count: columns) }
                return
            }
            gemm(m: count, n: columns, k: nhalf - node, a: rows + node, lda: lda,
                 b: folded + ((odd ? nhalf : 0) + node) * rowStride, ldb: rowStride,
                 c: first, ldc: 2 * degreeStride)
        }
    }

    // MARK: - One field

    /// Order m of one field: fold into separate real and imaginary planes
    /// `[evenRe | evenIm | oddRe | oddIm][nhalf]`, then the Legendre sums — on the fly from the restart pairs
    /// where the table has them (`LegendreRecurrence`, planes in Float64), else row-wise over the table
    /// (`LegendreMatVec`).
    /// - order: `[nlat][re, im]` of order m; products: `[evenRows | oddRows][re, im]`.
    private func analyseSingleField(m: Int, order: UnsafePointer<T>, into products: UnsafeMutablePointer<T>,
                                    planes: UnsafeMutablePointer<T>, arena: ScratchArena) {
        if let seeds = table.seeds {
            let wide = arena.memory(ScratchSlot.widePlanes, count: 4 * seeds.stride, of: Double.self)
            foldSingleField(order, into: wide, stride: seeds.stride)
            legendreAnalysisRecurrence(seeds: seeds, m: m, planes: wide, into: products)
            return
        }
        foldSingleField(order, into: planes, stride: nhalf)
        let evenRows = table.evenCount(m)
        table.values.withUnsafeBufferPointer { t in
            table.firstSignificantNode.withUnsafeBufferPointer { first in
                legendreAnalysisSingle(table: t.baseAddress! + table.evenOffset(m), rows: evenRows, nhalf: nhalf,
                                       firstNode: first.baseAddress! + table.evenOffset(m) / nhalf,
                                       real: planes, imaginary: planes + nhalf, into: products)
                legendreAnalysisSingle(table: t.baseAddress! + table.oddOffset(m), rows: table.oddCount(m),
                                       nhalf: nhalf, firstNode: first.baseAddress! + table.oddOffset(m) / nhalf,
                                       real: planes + 2 * nhalf, imaginary: planes + 3 * nhalf,
                                       into: products + 2 * evenRows)
            }
        }
    }

    /// One order of one field (`[nlat][re, im]`), weighted and folded into planes
    /// `[evenRe | evenIm | oddRe | oddIm][stride]`, zero from `nhalf` to `stride`.
    private func foldSingleField<P: BinaryFloatingPoint>(_ order: UnsafePointer<T>, into planes: UnsafeMutablePointer<P>,
                                                         stride: Int) {
        let equator = nlat % 2 == 1 ? nhalf - 1 : -1
        for k in 0..<nhalf {
            let w = scaledWeights[k]
            let north = order + 2 * k
            let south = order + 2 * (nlat - 1 - k)
            if k == equator {
                planes[k] = P(w * north[0])
                planes[stride + k] = P(w * north[1])
                planes[2 * stride + k] = 0
                planes[3 * stride + k] = 0
            } else {
                planes[k] = P(w * (north[0] + south[0]))
                planes[stride + k] = P(w * (north[1] + south[1]))
                planes[2 * stride + k] = P(w * (north[0] - south[0]))
                planes[3 * stride + k] = P(w * (north[1] - south[1]))
            }
        }
        for plane in 0..<4 { (planes + plane * stride + nhalf).update(repeating: 0, count: stride - nhalf) }
    }

    /// Order m of one field: the Legendre sums into real and imaginary planes (on the fly or row-wise, as
    /// `analyseSingleField`), then unfold into `order` (`[nlat][re, im]`).
    /// - coefficients: `[evenRows | oddRows][re, im]`.
    private func synthesiseSingleField(m: Int, coefficients: UnsafePointer<T>, into order: UnsafeMutablePointer<T>,
                                       planes: UnsafeMutablePointer<T>, arena: ScratchArena) {
        if let seeds = table.seeds {
            let wide = arena.memory(ScratchSlot.widePlanes, count: 4 * seeds.stride, of: Double.self)
            legendreSynthesisRecurrence(seeds: seeds, m: m, coefficients: coefficients, into: wide)
            unfoldSingleField(wide, stride: seeds.stride, into: order)
            return
        }
        let evenRows = table.evenCount(m)
        table.values.withUnsafeBufferPointer { t in
            table.firstSignificantNode.withUnsafeBufferPointer { first in
                legendreSynthesisSingle(table: t.baseAddress! + table.evenOffset(m), rows: evenRows, nhalf: nhalf,
                                        firstNode: first.baseAddress! + table.evenOffset(m) / nhalf,
                                        coefficients: coefficients, real: planes, imaginary: planes + nhalf)
                legendreSynthesisSingle(table: t.baseAddress! + table.oddOffset(m), rows: table.oddCount(m),
                                        nhalf: nhalf, firstNode: first.baseAddress! + table.oddOffset(m) / nhalf,
                                        coefficients: coefficients + 2 * evenRows, real: planes + 2 * nhalf,
                                        imaginary: planes + 3 * nhalf)
            }
        }
        unfoldSingleField(planes, stride: nhalf, into: order)
    }

    /// Planes `[evenRe | evenIm | oddRe | oddIm][stride]` unfolded into one order of one field: north = even +
    /// odd, south = even − odd.
    private func unfoldSingleField<P: BinaryFloatingPoint>(_ planes: UnsafePointer<P>, stride: Int,
                                                           into order: UnsafeMutablePointer<T>) {
        let equator = nlat % 2 == 1 ? nhalf - 1 : -1
        for k in 0..<nhalf {
            let north = order + 2 * k
            north[0] = T(planes[k] + planes[2 * stride + k])
            north[1] = T(planes[stride + k] + planes[3 * stride + k])
            if k != equator {
                let south = order + 2 * (nlat - 1 - k)
                south[0] = T(planes[k] - planes[2 * stride + k])
                south[1] = T(planes[stride + k] - planes[3 * stride + k])
            }
        }
    }
}
