import Dispatch

/// Runs `body` over `0 ..< count` split into contiguous ranges, on as many threads as OpenBLAS uses (the
/// rank's thread budget), so that the pointwise layers and the transposes keep up with the threaded GEMMs.
/// Each index is handled by exactly one call with the same arithmetic whatever the split: results do not
/// depend on the thread count.
public func parallelRanges(_ count: Int, minimumPerThread: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
    let threads = min(BLASConfiguration.threadCount, max(1, count / max(minimumPerThread, 1)))
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

/// Shares `count` independent work items out over the rank's threads (as many as OpenBLAS uses, at most
/// `count`), round-robin: `body(part, parts)` handles the items `part, part + parts, …`. On one thread,
/// `body(0, 1)` runs on the caller's thread.
///
/// The items must not call BLAS: OpenBLAS would run each call on its own threads beside ours, and its
/// thread count is process-wide, so it cannot be lowered for these calls alone without disturbing the
/// GEMMs of other threads (a model stepped from several threads at once).
public func shareOut(_ count: Int, _ body: (_ part: Int, _ parts: Int) -> Void) {
    let parts = min(BLASConfiguration.threadCount, count)
    guard parts > 1 else {
        body(0, 1)
        return
    }
    parallelParts(parts) { body($0, parts) }
}
