import Kernels

/// Scores of random sub-ensembles, as HENS Part II measured how the ensemble's value grows with its size:
/// for the sizes m = 1, 2, 4, … (powers of two up to E) and E (`sizes(upTo:)`), m members of an initial time
/// drawn without replacement (`subsample`), and per size over the grid
///
/// - the CRPS of the m members, `⟨CRPS_m⟩`;
/// - the outlier fraction `⟨y ∉ [min, max]⟩` and the share of points whose truth lies in the sub-ensemble's
///   range, `⟨y ∈ [min, max]⟩` (1 minus the former; counted apart, as HENS reports both); a calibrated
///   m-member ensemble has outlier fraction 2/(m + 1);
/// - the best member's RMSE over the field, `min_{i ∈ sub-ensemble} sqrt⟨(x_i − y)²⟩` (`bestMemberRMSE`, set
///   from the members' errors that `BestMember` computes where the members are).
///
/// The draws are a pure function of (seed, initial-time index, size) and the set of valid members, so the
/// sub-ensembles are the same at any rank count and on every lead; every variable uses the same members.
/// The per-point work is one sort of m values per size below E (about one more sort of all E members per
/// point in all); the whole ensemble's CRPS and outlier flag come from `SlabScores` where they are at hand.
public struct EnsembleSizeSummary: Sendable {
    public let sizes: [Int]
    /// Per size (Σ w, Σ w CRPS, Σ w outlier, Σ w in range); a size larger than the valid members stays 0.
    /// Reduced over ranks by sum and added over initial times.
    public internal(set) var sums: [Double]
    /// Per size the sum over initial times of the best member's RMSE and the number of those times.
    var bestMember: [(sum: Double, times: Int)]

    static let fields = 4

    public init(ensembleSize e: Int) {
        sizes = Self.sizes(upTo: e)
        sums = [Double](repeating: 0, count: Self.fields * sizes.count)
        bestMember = [(Double, Int)](repeating: (0, 0), count: sizes.count)
    }

    /// 1, 2, 4, …, the largest power of two ≤ E, then E if it is not one.
    public static func sizes(upTo e: Int) -> [Int] {
        precondition(e >= 1, "EnsembleSizeSummary: ensemble size \(e)")
        var sizes = [Int]()
        var s = 1
        while s <= e { sizes.append(s); s *= 2 }
        if sizes.last != e { sizes.append(e) }
        return sizes
    }

    /// The counter stream of a sub-ensemble draw: lead field 0xFFFF, which `RankTieBreak` never uses.
    public static func stream(time: Int, size: Int) -> UInt64 {
        precondition(time >= 0 && time < 1 << 16 && size >= 0 && size < 1 << 32, "EnsembleSizeSummary: time \(time) or size \(size) out of range")
        return 0xFFFF << 48 | UInt64(time) << 32 | UInt64(size)
    }

    /// The sub-ensemble of `size` members of initial time `time`: Fisher–Yates over the ensemble indices
    /// 0 ..< E with `CounterRandom(seed:, stream: stream(time:size:))` (index j swapped with j + ⌊u (E − j)/2³²⌋),
    /// taking the valid members in the order drawn until there are `size` — a uniformly random subset without
    /// replacement of the valid members. Returns their positions in `valid` (the valid ensemble indices,
    /// ascending: the transpose's member order), ascending; empty when fewer than `size` members are valid.
    public static func subsample(size: Int, time: Int, ensembleSize e: Int, valid: [Int], seed: UInt64) -> [Int] {
        guard size <= valid.count else { return [] }
        var position = [Int](repeating: -1, count: e)
        for (k, index) in valid.enumerated() { position[index] = k }
        var generator = CounterRandom(seed: seed, stream: stream(time: time, size: size))
        var order = Array(0..<e)
        var chosen = [Int]()
        chosen.reserveCapacity(size)
        var j = 0
        while chosen.count < size {
            let r = j + Int((UInt64(generator.next()) * UInt64(e - j)) >> 32)
            order.swapAt(j, r)
            if position[order[j]] >= 0 { chosen.append(position[order[j]]) }
            j += 1
        }
        return chosen.sorted()
    }

    /// Adds the slab's points. - members: [point][memberCount], the valid members in ensemble-index order;
    /// truth, pointWeights: [point]; subsamples: per size the positions of its members (empty: not drawn);
    /// whole: the slab's scores of all m members, used for a sub-ensemble of all of them instead of sorting again
    public mutating func add(members: UnsafeBufferPointer<Float>, memberCount m: Int, truth: UnsafeBufferPointer<Float>,
                             pointWeights: UnsafeBufferPointer<Double>, subsamples: [[Int]], whole: SlabScores? = nil) {
        precondition(subsamples.count == sizes.count && members.count == truth.count * m && truth.count == pointWeights.count
                     && (whole == nil || whole!.pointCount == truth.count), "EnsembleSizeSummary.add: sizes differ")
        var buffer = [Double](repeating: 0, count: m)
        buffer.withUnsafeMutableBufferPointer { x in
            for p in 0..<truth.count {
                let (y, w, row) = (Double(truth[p]), pointWeights[p], p * m)
                for (k, positions) in subsamples.enumerated() where !positions.isEmpty {
                    let s = positions.count
                    let base = Self.fields * k
                    if s == m, let whole {
                        sums[base] += w
                        sums[base + 1] += w * whole.crps[p]
                        sums[base + (whole.outlier[p] > 0 ? 2 : 3)] += w
                        continue
                    }
                    for j in 0..<s { x[j] = Double(members[row + positions[j]]) }
                    var sorted = UnsafeMutableBufferPointer(rebasing: x[0..<s])
                    sorted.sort()
                    let outside = SortedEnsemble.isOutlier(UnsafeBufferPointer(sorted), y)
                    sums[base] += w
                    sums[base + 1] += w * SortedEnsemble.crps(UnsafeBufferPointer(sorted), y)
                    sums[base + (outside ? 2 : 3)] += w
                }
            }
        }
    }

    /// Records one initial time's best member of each sub-ensemble from the members' weighted MSEs.
    /// - errors: ensemble index → weighted mean squared error (NaN or absent: not valid)
    mutating func addBestMembers(subsamples: [[Int]], valid: [Int], errors: [Int: Double]) {
        for (k, positions) in subsamples.enumerated() where !positions.isEmpty {
            let least = positions.compactMap { errors[valid[$0]] }.filter { !$0.isNaN }.min()
            if let least {
                bestMember[k].sum += least.squareRoot()
                bestMember[k].times += 1
            }
        }
    }

    /// Adds another initial time's sums and best members (before the means are taken).
    mutating func accumulate(_ other: EnsembleSizeSummary) {
        precondition(other.sizes == sizes, "EnsembleSizeSummary.accumulate: sizes \(other.sizes) into \(sizes)")
        for i in sums.indices { sums[i] += other.sums[i] }
        for k in bestMember.indices {
            bestMember[k].sum += other.bestMember[k].sum
            bestMember[k].times += other.bestMember[k].times
        }
    }

    private func mean(_ k: Int, _ field: Int) -> Double { sums[Self.fields * k + field] / sums[Self.fields * k] }

    /// `⟨CRPS⟩` of the sub-ensemble of `sizes[k]` members (NaN where it was not drawn).
    public func crps(_ k: Int) -> Double { mean(k, 1) }
    public func outlierFraction(_ k: Int) -> Double { mean(k, 2) }
    public func inRange(_ k: Int) -> Double { mean(k, 3) }
    /// The best member's RMSE over the field; over initial times the mean of the per-time values.
    public func bestMemberRMSE(_ k: Int) -> Double { bestMember[k].sum / Double(bestMember[k].times) }
}
