import ComplexModule
import Kernels

/// The work arrays of one forward pass, taken from a scratch arena so that steps after the first
/// allocate nothing (fresh arrays of `E × nlat × nlon` floats cost a page fault per 4 KiB each step).
struct Workspace {
    /// Grid points per tile of the pointwise layers (MLP, encoder, decoder).
    static let tile = 2048

    /// `[E][points]` each: the block input, the filtered field (then the block output), the skip path.
    var x: UnsafeMutablePointer<Float>
    var y: UnsafeMutablePointer<Float>
    let residual: UnsafeMutablePointer<Float>
    /// `[hidden][tile]`: MLP and encoder/decoder hidden layers; `spare` only for ≥ 2 hidden layers.
    let hidden: UnsafeMutablePointer<Float>
    let spare: UnsafeMutablePointer<Float>
    /// `[E][lmax][mmax]` each.
    let coefficients: UnsafeMutablePointer<Complex<Float>>
    let filtered: UnsafeMutablePointer<Complex<Float>>

    /// - points: the largest grid of the network (model or internal)
    init(arena: ScratchArena, checkpoint c: Checkpoint, points: Int) {
        let e = c.embedDim
        let widest = max(1, c.useMLP ? c.mlpHiddenDim : 0, c.encoderHiddenDim, c.decoderHiddenDim)
        let needsSpare = c.encoderHiddenLayers > 1 || c.decoderHiddenLayers > 1
        let tile = min(points, Self.tile)
        x = arena.memory(0, count: e * points)
        y = arena.memory(1, count: e * points)
        residual = arena.memory(2, count: e * points)
        hidden = arena.memory(3, count: widest * tile)
        spare = arena.memory(4, count: needsSpare ? widest * tile : 1)
        coefficients = arena.memory(5, count: e * c.lmax * c.mmax)
        filtered = arena.memory(6, count: e * c.lmax * c.mmax)
    }

    /// The largest grid of the network.
    static func points(_ c: Checkpoint) -> Int {
        max(c.nlat * c.nlon, c.internalShape.nlat * c.internalShape.nlon)
    }
}

/// `a[i] += b[i]` for `count` elements.
@inline(__always)
func addInPlace(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { a[i] += b[i] }
}
