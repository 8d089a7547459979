/// Work arrays of the pointwise layers (MLP, encoder, decoder hidden layers), one set per thread that runs
/// tiles at once: set k is `[hidden channels][tile]` at `hidden + k·stride` (and at `spare + k·stride`, for an
/// encoder or decoder with two or more hidden layers).
public struct TileWork {
    public let hidden: UnsafeMutablePointer<Float>
    public let spare: UnsafeMutablePointer<Float>
    /// Floats per set.
    public let stride: Int
    /// Sets: the most threads that run tiles at once.
    public let sets: Int

    /// - spare: nil where no layer has two hidden layers (set k's spare is then its hidden array, unused)
    public init(hidden: UnsafeMutablePointer<Float>, spare: UnsafeMutablePointer<Float>?, stride: Int, sets: Int) {
        self.hidden = hidden
        self.spare = spare ?? hidden
        self.stride = stride
        self.sets = max(sets, 1)
    }

    /// Set k's two arrays.
    func set(_ k: Int) -> (hidden: UnsafeMutablePointer<Float>, spare: UnsafeMutablePointer<Float>) {
        (hidden + k * stride, spare + k * stride)
    }
}
