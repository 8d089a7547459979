/// A 64-bit hash of byte contents, for telling whether an input changed (not for security): eight bytes
/// at a time through a multiply–xorshift mix, so that hashing a checkpoint costs about as much as reading it.
/// The same bytes give the same value on every little-endian machine, in any process.
public struct ContentHash: Sendable {
    private var state: UInt64 = 0x243F_6A88_85A3_08D3
    private var length: UInt64 = 0

    public init() {}

    /// Adds `bytes` (a stream hashed in several calls gives the hash of one call only where each call but
    /// the last adds a multiple of 8 bytes).
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        let words = bytes.count / 8
        var h = state
        for i in 0..<words {
            h = Self.mix(h ^ bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
        }
        if bytes.count % 8 != 0 {
            var tail: UInt64 = 0
            for (k, byte) in bytes[(8 * words)...].enumerated() { tail |= UInt64(byte) << (8 * UInt64(k)) }
            h = Self.mix(h ^ tail)
        }
        state = h
        length &+= UInt64(bytes.count)
    }

    /// Adds the bytes of `values` as laid out in memory.
    public mutating func add<T>(_ values: [T]) {
        values.withUnsafeBytes { add($0) }
    }

    /// Adds another hash's value (for combining the hashes of parts in a fixed order).
    public mutating func add(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { add($0) }
    }

    public var value: UInt64 { Self.mix(state ^ length) }

    /// `value` as 16 hex digits.
    public var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// A bijective 64-bit finaliser (Stafford's mix 13, as in SplitMix64).
    @inline(__always)
    private static func mix(_ x: UInt64) -> UInt64 {
        var z = (x &+ 0x9E37_79B9_7F4A_7C15)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
