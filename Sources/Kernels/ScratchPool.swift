import Foundation

/// Aligned scratch memory kept between calls.
///
/// A transform of 64 fields at 0.25° needs several 250 MB work arrays. Allocating them per call costs
/// more than the arithmetic: the kernel maps, faults and zeroes every page each time (40 % of the
/// run time in a profile of the batched SHT). An arena keeps them: slot `i` grows to the largest size
/// asked for and is reused as it is.
///
/// The contents of a slot are whatever the previous user left: write before you read.
public final class ScratchArena: @unchecked Sendable {
    private var slots: [AlignedBuffer<UInt8>?] = []

    public init() {}

    /// Memory for `count` elements of `E` in slot `slot`, 64-byte aligned, valid until the next call
    /// for the same slot.
    public func memory<E>(_ slot: Int, count: Int, of type: E.Type = E.self) -> UnsafeMutablePointer<E> {
        precondition(_isPOD(E.self), "ScratchArena holds trivial element types only")
        if slot >= slots.count { slots += Array(repeating: nil, count: slot + 1 - slots.count) }
        let bytes = max(1, count * MemoryLayout<E>.stride)
        if slots[slot] == nil || slots[slot]!.count < bytes {
            slots[slot] = nil   // free first: the old and the new buffer need not coexist
            slots[slot] = AlignedBuffer<UInt8>(count: bytes)
        }
        return UnsafeMutableRawPointer(slots[slot]!.pointer).bindMemory(to: E.self, capacity: max(count, 1))
    }

    /// Bytes held.
    public var bytes: Int { slots.reduce(0) { $0 + ($1?.count ?? 0) } }
}

/// Arenas handed out one per concurrent caller, so an object shared by threads can keep its scratch
/// memory without holding a lock during the work.
public final class ScratchPool: @unchecked Sendable {
    private var idle: [ScratchArena] = []
    private let lock = NSLock()

    public init() {}

    public func withArena<R>(_ body: (ScratchArena) throws -> R) rethrows -> R {
        lock.lock()
        let arena = idle.popLast() ?? ScratchArena()
        lock.unlock()
        defer {
            lock.lock()
            idle.append(arena)
            lock.unlock()
        }
        return try body(arena)
    }

    /// Drops the kept memory (it is made again on the next use).
    public func release() {
        lock.lock()
        idle.removeAll()
        lock.unlock()
    }
}
