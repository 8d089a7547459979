/// Where the elements of an N-dimensional block lie in memory: its extent along each axis and the step,
/// in elements, between neighbours along each axis. Row-major `[a][b][c]` has strides `[b·c, c, 1]`; the
/// same logical array stored `[c][b][a]` has strides `[1, a, a·b]`; a row-major `[a][b]` block inside rows
/// of length `n ≥ b` has strides `[n, 1]`. Axes are logical: a transpose names them by position, and the
/// layouts on both sides of it list the same axes in the same order, whatever order memory keeps them in.
public struct StridedBlock: Sendable, Equatable, CustomStringConvertible {
    /// Elements along each axis.
    public var extents: [Int]
    /// Elements between neighbours along each axis.
    public var strides: [Int]

    public init(extents: [Int], strides: [Int]) {
        precondition(extents.count == strides.count && !extents.isEmpty,
                     "StridedBlock: \(extents.count) extents and \(strides.count) strides, need the same number (≥ 1)")
        precondition(extents.allSatisfy { $0 >= 0 } && strides.allSatisfy { $0 >= 0 },
                     "StridedBlock: extents \(extents) and strides \(strides) must not be negative")
        self.extents = extents
        self.strides = strides
    }

    /// A dense row-major block: the last axis contiguous.
    public static func rowMajor(_ extents: [Int]) -> StridedBlock {
        var strides = [Int](repeating: 1, count: extents.count)
        for axis in stride(from: extents.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * extents[axis + 1] }
        return StridedBlock(extents: extents, strides: strides)
    }

    /// Elements in the block.
    public var count: Int { extents.reduce(1, *) }

    /// The sub-block `range` along `axis` (same strides; `offset` is the element at its origin).
    func restricted(_ axis: Int, to range: Range<Int>) -> (block: StridedBlock, offset: Int) {
        var block = self
        block.extents[axis] = range.count
        return (block, range.lowerBound * strides[axis])
    }

    public var description: String { "extents \(extents), strides \(strides)" }
}

// MARK: - Copies between a strided block and a dense buffer

extension StridedBlock {
    /// Copies the block at `base` into `dense`, in row-major order of its logical axes (the last fastest).
    /// Elements are moved as bytes (`elementSize` each), so any trivial type goes through bit for bit.
    func pack(from base: UnsafeRawPointer, into dense: UnsafeMutableRawPointer, elementSize: Int) {
        forEachRun { offset, run, index in
            copyRun(from: base + offset * elementSize, stride: strides.last!,
                    to: dense + index * elementSize, stride: 1, count: run, elementSize: elementSize)
        }
    }

    /// The inverse of `pack`: writes `dense`, read in row-major order of the logical axes, into the block.
    func unpack(from dense: UnsafeRawPointer, into base: UnsafeMutableRawPointer, elementSize: Int) {
        forEachRun { offset, run, index in
            copyRun(from: dense + index * elementSize, stride: 1,
                    to: base + offset * elementSize, stride: strides.last!, count: run, elementSize: elementSize)
        }
    }

    /// `body(offset, count, index)` for every run along the last axis: its first element's offset in the
    /// block (elements), its length, and its place in row-major order.
    private func forEachRun(_ body: (Int, Int, Int) -> Void) {
        let run = extents.last!
        let outer = extents.dropLast()
        guard run > 0, !outer.contains(0) else { return }
        var position = [Int](repeating: 0, count: outer.count)
        var offset = 0, index = 0
        while true {
            body(offset, run, index)
            index += run
            // The next run: an odometer over the outer axes, the last of them fastest.
            var axis = outer.count - 1
            while axis >= 0 {
                position[axis] += 1
                offset += strides[axis]
                if position[axis] < extents[axis] { break }
                offset -= position[axis] * strides[axis]
                position[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }
}

/// `count` elements of `elementSize` bytes, `sourceStride` / `targetStride` elements apart.
private func copyRun(from source: UnsafeRawPointer, stride sourceStride: Int,
                     to target: UnsafeMutableRawPointer, stride targetStride: Int, count: Int, elementSize: Int) {
    if sourceStride == 1 && targetStride == 1 {
        target.copyMemory(from: source, byteCount: count * elementSize)
        return
    }
    // Fixed-size moves for the element sizes of Float, Double / Complex<Float>, Complex<Double>: raw loads and
    // stores (no typed view of the caller's memory), a word at a time.
    func move<Word: FixedWidthInteger>(_: Word.Type) {
        let words = elementSize / MemoryLayout<Word>.size
        let sourceStep = sourceStride * elementSize, targetStep = targetStride * elementSize
        for i in 0..<count {
            for k in 0..<words {
                let word = source.loadUnaligned(fromByteOffset: i * sourceStep + k * MemoryLayout<Word>.size, as: Word.self)
                target.storeBytes(of: word, toByteOffset: i * targetStep + k * MemoryLayout<Word>.size, as: Word.self)
            }
        }
    }
    switch elementSize {
    case 4: move(UInt32.self)
    case 8, 16: move(UInt64.self)
    default:
        for i in 0..<count {
            (target + i * targetStride * elementSize).copyMemory(from: source + i * sourceStride * elementSize,
                                                                 byteCount: elementSize)
        }
    }
}
