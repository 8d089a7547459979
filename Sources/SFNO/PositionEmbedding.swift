/// A position embedding added once after the encoder: `[E][nlat][nlon]`, or `[E][nlat]` broadcast over
/// longitude (torch-harmonics `learnable lat`). Fixed (`sequence`, `spectral`) and learned embeddings are
/// all stored in the checkpoint, so nothing is recomputed here.
public struct PositionEmbedding: Sendable {
    /// `[channels][nlat][nlon]` or `[channels][nlat]`.
    public let values: [Float]
    public let channels: Int
    public let nlat: Int
    public let nlon: Int
    /// Whether `values` has no longitude axis.
    public let latitudeOnly: Bool

    public init(values: [Float], channels: Int, nlat: Int, nlon: Int, latitudeOnly: Bool) {
        precondition(values.count == channels * nlat * (latitudeOnly ? 1 : nlon), "PositionEmbedding: wrong size")
        self.values = values
        self.channels = channels
        self.nlat = nlat
        self.nlon = nlon
        self.latitudeOnly = latitudeOnly
    }

    /// - x: `[channels][nlat][nlon]`, added to in place
    public func add(to x: inout [Float]) {
        x.withUnsafeMutableBufferPointer { add(to: $0) }
    }

    /// - x: `[channels][nlat][nlon]`, added to in place
    public func add(to x: UnsafeMutableBufferPointer<Float>) {
        precondition(x.count == channels * nlat * nlon, "PositionEmbedding: field has the wrong size")
        if latitudeOnly {
            for row in 0..<(channels * nlat) {
                let v = values[row]
                for j in 0..<nlon { x[row * nlon + j] += v }
            }
        } else {
            for i in x.indices { x[i] += values[i] }
        }
    }
}
