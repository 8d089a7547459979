import Dispatch

/// Runs `body` over `0 ..< count` split into contiguous ranges, on the rank's threads (`RankThreads`). Each
/// index is handled by exactly one call with the same arithmetic whatever the split: results do not depend
/// on the thread count.
public func parallelRanges(_ count: Int, minimumPerThread: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
    let threads = min(RankThreads.count, max(1, count / max(minimumPerThread, 1)))
    guard threads > 1 else {
        body(0..<count)
        return
    }
    parallelParts(threads) { part in
        let base = count / threads, extra = count % threads
        let start = part * base + min(part, extra)
        body(start..<(start + base + (part < extra ? 1 : 0)))
    }
}

/// Runs `body(part)` for `part` in `0 ..< parts` on `parts` threads at once. The caller makes the parts
/// touch disjoint data.
public func parallelParts(_ parts: Int, _ body: (Int) -> Void) {
    guard parts > 1 else {
        if parts == 1 { body(0) }
        return
    }
    withoutActuallyEscaping(body) { body in
        let shared = UncheckedSendable(value: body)
        DispatchQueue.concurrentPerform(iterations: parts) { shared.value($0) }
    }
}

/// A value handed to threads that use disjoint parts of it.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}

/// Shares `count` independent work items out over the rank's threads (`RankThreads`, at most `count` and
/// `maximumParts`), round-robin: `body(part, parts)` handles the items `part, part + parts, …`. On one thread,
/// `body(0, 1)` runs on the caller's thread. Items may call BLAS (single-threaded, `RankThreads`).
public func shareOut(_ count: Int, maximumParts: Int = .max, _ body: (_ part: Int, _ parts: Int) -> Void) {
    let parts = min(RankThreads.count, count, max(maximumParts, 1))
    guard parts > 1 else {
        body(0, 1)
        return
    }
    parallelParts(parts) { body($0, parts) }
}

/// `body(range, part)` for the tiles `0 ..< tile`, `tile ..< 2·tile`, … of `0 ..< count`, shared out over the
/// rank's threads (at most `maximumParts`, e.g. the sets of work arrays there are); `part` tells the thread.
/// The tiles do not depend on the thread count, so neither do results computed tile by tile.
public func shareTiles(_ count: Int, tile: Int, maximumParts: Int = .max, _ body: (_ range: Range<Int>, _ part: Int) -> Void) {
    let tile = max(tile, 1)
    let tiles = (count + tile - 1) / tile
    shareOut(tiles, maximumParts: maximumParts) { part, parts in
        for t in stride(from: part, to: tiles, by: parts) {
            body((t * tile)..<min((t + 1) * tile, count), part)
        }
    }
}
