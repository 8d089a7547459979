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
    ///   Orders outside `orders` are left as they are.
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
            guard m < lmax else { return zero(0..<lmax) }
            zero(0..<m)
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
                               into: degrees + m * degreeStride, degreeStride: degreeStride)
            } else {
                fold(m: m, order: order, batch: batch, into: folded)
                multiplyFolded(m: m, folded: folded, rowStride: columns, batch: batch,
                               into: degrees + m * degreeStride, degreeStride: degreeStride)
            }
        }
    }

    /// The Legendre stage of the inverse transform for a subset of orders.
    ///
    /// - coefficients: by `layout`, `[coefficientOrders.count][lmax][batch]` or
    ///   `[lmax][coefficientOrders.count][batch]`; order m at index `m − coefficientOrders.lowerBound`.
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
            table.values.withUnsafeBufferPointer { t in
                synthesiseParity(m: m, odd: false, table: t.baseAddress! + table.evenOffset(m), coefficients: degrees,
                                 coefficientStride: 2 * degreeStride, columns: columns, into: parts, rowStride: rowStride)
                synthesiseParity(m: m, odd: true, table: t.baseAddress! + table.oddOffset(m),
                                 coefficients: degrees + degreeStride, coefficientStride: 2 * degreeStride,
                                 columns: columns, into: parts + nhalf * rowStride, rowStride: rowStride)
            }
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

    /// `parts[k · rowStride + ·] = Σ_r table[r][k] · coefficients[r][·]` for one parity of order m, block by block from
    /// each block's first significant node. The block reaching furthest poleward runs first and sets the
    /// rows it covers; the rows poleward of every block are zero; the other blocks add to the rows they need.
    @inline(__always)
    private func synthesiseParity(m: Int, odd: Bool, table rowsOfTable: UnsafePointer<T>,
                                  coefficients: UnsafePointer<T>, coefficientStride: Int, columns: Int,
                                  into parts: UnsafeMutablePointer<T>, rowStride: Int) {
        var widest = (row: -1, count: 0, node: nhalf)
        let columnsPerField = 2
        let maxRows = synthesisBlockRows(batch: columns / columnsPerField)
        table.forEachBlock(m: m, odd: odd, maxRows: maxRows) { row, count, node in
            if node < widest.node { widest = (row, count, node) }
        }
        for k in 0..<widest.node { (parts + k * rowStride).update(repeating: 0, count: columns) }
        guard widest.row >= 0 else { return }
        gemm(.transpose, .none, m: nhalf - widest.node, n: columns, k: widest.count,
             a: rowsOfTable + widest.row * nhalf + widest.node, lda: nhalf,
             b: coefficients + widest.row * coefficientStride, ldb: coefficientStride,
             c: parts + widest.node * rowStride, ldc: rowStride)
        table.forEachBlock(m: m, odd: odd, maxRows: maxRows) { row, count, node in
            guard row != widest.row else { return }
            gemm(.transpose, .none, m: nhalf - node, n: columns, k: count,
                 a: rowsOfTable + row * nhalf + node, lda: nhalf,
                 b: coefficients + row * coefficientStride, ldb: coefficientStride,
                 beta: 1, c: parts + node * rowStride, ldc: rowStride)
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
                                into degrees: UnsafeMutablePointer<T>, degreeStride: Int) {
        let columns = 2 * batch
        table.values.withUnsafeBufferPointer { t in
            for odd in [false, true] {
                let offset = odd ? table.oddOffset(m) : table.evenOffset(m)
                let parity = folded + (odd ? nhalf * rowStride : 0)
                let first = degrees + (odd ? degreeStride : 0)
                var covered = 0
                @inline(__always) func zero(_ rows: Range<Int>) {
                    for r in rows { (first + 2 * r * degreeStride).update(repeating: 0, count: columns) }
                }
                table.forEachBlock(m: m, odd: odd, maxRows: analysisBlockRows(batch: batch)) { row, count, node in
                    zero(covered..<row)   // blocks with no significant node
                    gemm(m: count, n: columns, k: nhalf - node, a: t.baseAddress! + offset + row * nhalf + node,
                         lda: nhalf, b: parity + node * rowStride, ldb: rowStride,
                         c: first + 2 * row * degreeStride, ldc: 2 * degreeStride)
                    covered = row + count
                }
                zero(covered..<(odd ? table.oddCount(m) : table.evenCount(m)))
            }
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
