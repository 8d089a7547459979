/// Restart values for computing `P̄_l^m` on the fly, so that a single field's Legendre stage need not read
/// the whole table, and a Float transform need not keep it (a batch regenerates its rows, `LegendreRows`).
///
/// One field's transform multiplies every table entry by one value: it streams the table (280 MB at 721 ×
/// 1440 in Float, after the polar cut-off) at memory speed — 23 ms on one core here when the machine is
/// quiet, 77 ms when other jobs load its memory, against shtns's 11 ms. The three-term recurrence
/// `P̄_l = a_l x P̄_{l−1} − b_l P̄_{l−2}` regenerates the functions from two rows, restarted every `segment`
/// degrees from stored pairs `(P̄_{l0}, P̄_{l0+1})` (`l0 = m + segment · j`, computed with the table).
///
/// The recurrence runs in Float64, like shtns's and ducc0's. In Float it drifts: restarted every 32 degrees
/// it was 2.0e-6 (forward) and 6.1e-6 (inverse) off Float64 at 361 × 720, every 16 degrees 1.4e-6 and
/// 1.8e-6, where the table is 4.7e-7 and 2.3e-7 — and a distributed transform must agree with the serial
/// one to 1e-6 whichever of the two paths each takes. In Float64 the only rounding left is the final
/// conversion to Float. Float64 also has the range for the restart pairs: near the diagonal the functions
/// grow by up to 1e18 over 32 degrees at lmax 720, so a pair may be as small as 6e-29 where its segment
/// matters (2e-44, below Float's range, with 64-degree segments). With 32-degree segments the pairs take
/// 1/8 of the Float table's bytes.
///
/// Each segment records the first node where any of its rows is significant (`LegendreTable`'s ε), the
/// node the kernels start from. From there on a restart pair must be a normal number, or the recurrence
/// would start from zero where its later rows matter: the builder checks this and leaves the seeds out (the
/// table path is used) when it fails.
///
/// - Layout: per order m, `segments(m)` blocks `[2][stride]` (the pair, nodes padded with zeros to
///   `stride`, a multiple of 16), at `offsets[m]`; `firstNode[segmentOffsets[m] + j]`; recurrence
///   coefficients `a`, `b` at `coefficientOffsets[m] + (l − m)` (used for `l ≥ m + 2`).
struct LegendreSeeds {
    /// Degrees per restart.
    static var segment: Int { 32 }

    let lmax: Int
    let nhalf: Int
    /// `nhalf` rounded up to a multiple of 16 (the kernels take 8 nodes at a time).
    let stride: Int
    /// The nodes `cos θ_k`, padded with zeros to `stride`.
    let x: [Double]
    let offsets: [Int]
    let values: [Double]
    let segmentOffsets: [Int]
    let firstNode: [Int32]
    let coefficientOffsets: [Int]
    let a: [Double]
    let b: [Double]

    func segments(_ m: Int) -> Int { m < lmax ? (lmax - m + Self.segment - 1) / Self.segment : 0 }

    /// Row of degree l of order m in the `[evenRows | oddRows]` layout of products and coefficients.
    @inline(__always)
    func row(l: Int, m: Int) -> Int {
        (l - m) % 2 == 0 ? (l - m) / 2 : (lmax - m + 1) / 2 + (l - m - 1) / 2
    }

    /// One segment of order m as the kernels use it.
    struct Segment {
        /// Its first degree (`l0 − m` is even) and its number of degrees.
        let l0: Int, count: Int
        /// The first node where any of its rows is significant; `nhalf` if none is.
        let firstNode: Int
        /// The restart pair `[2][stride]`, the nodes `[stride]`, and `a`, `b` indexed by `l − l0`.
        let pair: UnsafePointer<Double>, x: UnsafePointer<Double>, a: UnsafePointer<Double>, b: UnsafePointer<Double>
    }

    /// `body(segment)` for the segments of order m, in order of degree.
    @inline(__always)
    func forEachSegment(m: Int, _ body: (Segment) -> Void) {
        values.withUnsafeBufferPointer { values in
        x.withUnsafeBufferPointer { x in
        a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            for j in 0..<segments(m) {
                let l0 = m + Self.segment * j
                let coefficients = coefficientOffsets[m] + (l0 - m)
                body(Segment(l0: l0, count: min(Self.segment, lmax - l0),
                             firstNode: Int(firstNode[segmentOffsets[m] + j]),
                             pair: values.baseAddress! + offsets[m] + 2 * j * stride, x: x.baseAddress!,
                             a: a.baseAddress! + coefficients, b: b.baseAddress! + coefficients))
            }
        } } } }
    }
}

/// Collects `LegendreSeeds` while `LegendreTable` runs its Float64 recurrence: the table's loop stores the
/// restart pairs through `pairs` (cheap in its inner loop); `build` adds each segment's first node from the
/// table's rows and checks the pairs.
struct LegendreSeedsBuilder {
    let lmax: Int
    let mmax: Int
    let nhalf: Int
    let stride: Int
    let x: [Double]
    let offsets: [Int]
    /// The restart pairs, written by the table's loop at `offsets[m] + (2j + l − l0) · stride + k`.
    let pairs: UnsafeMutableBufferPointer<Double>
    private(set) var coefficientOffsets: [Int] = []
    private(set) var a: [Double] = []
    private(set) var b: [Double] = []

    init(lmax: Int, mmax: Int, nodes: [Double]) {
        self.lmax = lmax
        self.mmax = mmax
        nhalf = nodes.count
        stride = (nodes.count + 15) / 16 * 16
        x = nodes + Array(repeating: 0, count: stride - nodes.count)
        var offsets = [Int]()
        var total = 0
        let segment = LegendreSeeds.segment
        for m in 0..<mmax {
            offsets.append(total)
            total += (m < lmax ? (lmax - m + segment - 1) / segment : 0) * 2 * stride
        }
        self.offsets = offsets
        pairs = .allocate(capacity: max(total, 1))
        pairs.initialize(repeating: 0)
    }

    /// Order m's recurrence coefficients (`a[l]`, `b[l]` for `l ≥ m + 2`), in order of m.
    mutating func coefficients(m: Int, a: [Double], b: [Double]) {
        coefficientOffsets.append(self.a.count)
        for l in m..<lmax {
            self.a.append(l >= m + 2 ? a[l] : 0)
            self.b.append(l >= m + 2 ? b[l] : 0)
        }
    }

    /// The seeds, with each segment's first node the smallest first significant node of its rows, or nil
    /// when a restart pair is not a normal Float64 (with margin) at a node the kernels need. Frees `pairs`.
    /// - rowFirstNode: the first significant node of the table row of degree l, order m.
    func build(rowFirstNode: (_ m: Int, _ l: Int) -> Int) -> LegendreSeeds? {
        defer { pairs.deallocate() }
        let segment = LegendreSeeds.segment
        let smallest = Double.leastNormalMagnitude * 1024
        var segmentOffsets = [Int](), firstNode = [Int32]()
        for m in 0..<min(mmax, lmax) {
            segmentOffsets.append(firstNode.count)
            for j in 0..<((lmax - m + segment - 1) / segment) {
                let l0 = m + segment * j
                let first = (l0..<min(l0 + segment, lmax)).map { rowFirstNode(m, $0) }.min() ?? nhalf
                firstNode.append(Int32(first))
                let pair = offsets[m] + 2 * j * stride
                for k in first..<nhalf where max(abs(pairs[pair + k]), abs(pairs[pair + stride + k])) < smallest {
                    return nil
                }
            }
        }
        return LegendreSeeds(lmax: lmax, nhalf: nhalf, stride: stride, x: x, offsets: offsets,
                             values: Array(pairs), segmentOffsets: segmentOffsets, firstNode: firstNode,
                             coefficientOffsets: coefficientOffsets, a: a, b: b)
    }
}
