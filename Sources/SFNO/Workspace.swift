import ComplexModule
import Kernels

/// The work arrays of one forward pass, taken from a scratch arena so that steps after the first
/// allocate nothing (fresh arrays of `E × nlat × nlon` floats cost a page fault per 4 KiB each step).
struct Workspace {
    /// Grid points per tile of the pointwise layers (MLP, encoder, decoder).
    static let tile = 2048

    /// `[E][points]` each: the block input (then its skip path), the filtered field (then the block output).
    var x: UnsafeMutablePointer<Float>
    var y: UnsafeMutablePointer<Float>
    /// `[hidden][tile]`: MLP and encoder/decoder hidden layers; `spare` only for ≥ 2 hidden layers.
    let hidden: UnsafeMutablePointer<Float>
    let spare: UnsafeMutablePointer<Float>
    /// `[E][lmax][mmax]` each (a model-parallel rank: `[E][its degrees][its orders]`).
    let coefficients: UnsafeMutablePointer<Complex<Float>>
    let filtered: UnsafeMutablePointer<Complex<Float>>

    /// - points: the largest grid of the network (model or internal); a model-parallel rank's largest slab
    /// - coefficientsPerChannel: `lmax × mmax`; a model-parallel rank's share of them
    init(arena: ScratchArena, checkpoint c: Checkpoint, points: Int, coefficientsPerChannel: Int? = nil) {
        let e = c.embedDim
        let widest = max(1, c.useMLP ? c.mlpHiddenDim : 0, c.encoderHiddenDim, c.decoderHiddenDim)
        let needsSpare = c.encoderHiddenLayers > 1 || c.decoderHiddenLayers > 1
        let tile = min(points, Self.tile)
        x = arena.memory(0, count: e * points)
        y = arena.memory(1, count: e * points)
        hidden = arena.memory(2, count: widest * tile)
        spare = arena.memory(3, count: needsSpare ? widest * tile : 1)
        let spectrum = coefficientsPerChannel ?? c.lmax * c.mmax
        coefficients = arena.memory(4, count: e * spectrum)
        filtered = arena.memory(5, count: e * spectrum)
    }

    /// The largest grid of the network.
    static func points(_ c: Checkpoint) -> Int {
        max(c.nlat * c.nlon, c.internalShape.nlat * c.internalShape.nlon)
    }
}

/// `a[i] += b[i]` for `count` elements, on the rank's threads when large.
func addInPlace(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
    parallelRanges(count) { range in
        for i in range { a[i] += b[i] }
    }
}

/// `x[c][p] += bias[c]` for `[channels][points]` fields, on the rank's threads when large.
func addChannelBias(_ x: UnsafeMutablePointer<Float>, _ bias: [Float], points: Int) {
    bias.withUnsafeBufferPointer { bias in
        parallelRanges(bias.count, minimumPerThread: max(1, (1 << 15) / max(points, 1))) { channels in
            for c in channels {
                let row = x + c * points, value = bias[c]
                for p in 0..<points { row[p] += value }
            }
        }
    }
}
