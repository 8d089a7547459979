/// The one balanced decomposition used everywhere (latitudes over h, longitudes over w, channels,
/// members over groups): `n` items into `parts` contiguous parts, the first `n % parts` one larger
/// (torch-harmonics `compute_split_shapes`).
public func splitSizes(_ n: Int, parts: Int) -> [Int] {
    precondition(parts > 0, "splitSizes: parts must be positive, got \(parts)")
    precondition(n >= 0, "splitSizes: n must be non-negative, got \(n)")
    let base = n / parts
    let extra = n % parts
    return (0..<parts).map { base + ($0 < extra ? 1 : 0) }
}

/// The half-open range of part `index` in `splitSizes(n, parts:)`.
public func splitRange(_ n: Int, parts: Int, index: Int) -> Range<Int> {
    precondition(index >= 0 && index < parts, "splitRange: index \(index) outside 0..<\(parts)")
    let base = n / parts
    let extra = n % parts
    let start = index * base + min(index, extra)
    return start..<(start + base + (index < extra ? 1 : 0))
}
