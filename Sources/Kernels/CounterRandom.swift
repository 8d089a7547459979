import RealModule

/// Philox4x32-10 (Salmon et al. 2011), a counter-based generator: block `i` of stream `(seed, stream)` is a
/// pure function of `(seed, stream, i)`, so any draw can be regenerated alone, on any rank, in any layout.
///
/// Key: the 64-bit seed. Counter: `(block, stream)` as four 32-bit words. Uniforms use the top 53 bits of
/// two words; normals come from the Box–Muller transform of two uniforms.
public struct CounterRandom: Sendable {
    public let seed: UInt64
    public let stream: UInt64
    private var block: UInt64 = 0
    private var buffer: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
    private var used = 4

    public init(seed: UInt64, stream: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
    }

    /// The Philox4x32-10 block for a counter and key.
    public static func philox(counter: (UInt32, UInt32, UInt32, UInt32), key: (UInt32, UInt32))
        -> (UInt32, UInt32, UInt32, UInt32) {
        var (c0, c1, c2, c3) = counter
        var (k0, k1) = key
        for _ in 0..<10 {
            let p0 = UInt64(0xD251_1F53) &* UInt64(c0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(c2)
            (c0, c1, c2, c3) = (UInt32(truncatingIfNeeded: p1 >> 32) ^ c1 ^ k0, UInt32(truncatingIfNeeded: p1),
                                UInt32(truncatingIfNeeded: p0 >> 32) ^ c3 ^ k1, UInt32(truncatingIfNeeded: p0))
            k0 = k0 &+ 0x9E37_79B9
            k1 = k1 &+ 0xBB67_AE85
        }
        return (c0, c1, c2, c3)
    }

    /// The next 32 random bits.
    public mutating func next() -> UInt32 {
        if used == 4 {
            buffer = CounterRandom.philox(
                counter: (UInt32(truncatingIfNeeded: block), UInt32(truncatingIfNeeded: block >> 32),
                          UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32)),
                key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
            block += 1
            used = 0
        }
        defer { used += 1 }
        switch used {
        case 0: return buffer.0
        case 1: return buffer.1
        case 2: return buffer.2
        default: return buffer.3
        }
    }

    /// Uniform in (0, 1), never 0 (safe for the logarithm).
    public mutating func uniform() -> Double {
        let bits = (UInt64(next()) << 21) ^ (UInt64(next()) >> 11)      // 53 bits
        return (Double(bits) + 0.5) / 9_007_199_254_740_992.0
    }

    /// Two independent standard normals (Box–Muller).
    public mutating func normalPair() -> (Double, Double) {
        let radius = (-2 * Double.log(uniform())).squareRoot()
        let angle = 2 * Double.pi * uniform()
        return (radius * Double.cos(angle), radius * Double.sin(angle))
    }
}
