import Kernels
import Sphere

/// The spherical harmonic transforms of one SFNO block: block 0 transforms from the model grid, the last
/// block back to it, the others stay on the internal grid (makani sfnonet.py:392-393, torch-harmonics
/// sfno.py). All transforms share `lmax`, `mmax`.
public struct BlockTransforms: Sendable {
    /// Fields on the block's input grid → coefficients.
    public let forward: RealSHT<Float>
    /// Coefficients → fields on the block's output grid.
    public let inverse: RealSHT<Float>
    /// Whether the skip path is carried to the output grid by `inverse(forward(x))`: when the two grids
    /// differ in shape (makani also compares the grid type, torch-harmonics does not).
    public let transformsResidual: Bool

    /// One entry per block.
    public static func make(for checkpoint: Checkpoint) throws -> [BlockTransforms] {
        let c = checkpoint
        let model = try RealSHT<Float>(grid: c.grid, nlat: c.nlat, nlon: c.nlon, lmax: c.lmax, mmax: c.mmax)
        let sameGrid = c.internalGrid == c.grid && c.internalShape == (c.nlat, c.nlon)
        let internalSHT = sameGrid ? model : try RealSHT<Float>(grid: c.internalGrid, nlat: c.internalShape.nlat,
                                                             nlon: c.internalShape.nlon, lmax: c.lmax, mmax: c.mmax)
        return (0..<c.numLayers).map { i in
            let forward = i == 0 ? model : internalSHT
            let inverse = i == c.numLayers - 1 ? model : internalSHT
            let shapeDiffers = forward.nlat != inverse.nlat || forward.nlon != inverse.nlon
            let differs = c.architecture == .makani ? shapeDiffers || forward.grid != inverse.grid : shapeDiffers
            return BlockTransforms(forward: forward, inverse: inverse, transformsResidual: differs)
        }
    }

    /// Grid points of the input and output grids.
    public var inputPoints: Int { forward.nlat * forward.nlon }
    public var outputPoints: Int { inverse.nlat * inverse.nlon }
    /// Grid points per tile of the pointwise layers on the output grid (`Workspace.tileRows`).
    var outputTile: Int { Workspace.tile(nlat: inverse.nlat, nlon: inverse.nlon) }
}

extension BlockTransforms {
    /// The spectral path every SFNO block shares: `w.x` (`[E]` fields on the block's input grid) → SHT →
    /// `filter` → inverse SHT into `w.y` on the output grid. Returns the block's skip input, `w.x`: the input
    /// itself, or, where the grids differ, the input carried to the output grid through the same transforms,
    /// written over it (the SHT has consumed it; a third grid-sized array would be 2.6 GB at HENS size).
    func spectralPath(filter: SpectralConvolution, channels e: Int, work w: Workspace) -> UnsafePointer<Float> {
        let spectrumCount = e * forward.lmax * forward.mmax
        forward.forward(UnsafeBufferPointer(start: w.x, count: e * inputPoints),
                        UnsafeMutableBufferPointer(start: w.coefficients, count: spectrumCount), batch: e)
        if transformsResidual {
            inverse.inverse(UnsafeBufferPointer(start: w.coefficients, count: spectrumCount),
                            UnsafeMutableBufferPointer(start: w.x, count: e * outputPoints), batch: e)
        }
        filter.apply(w.coefficients, into: w.filtered)
        inverse.inverse(UnsafeBufferPointer(start: w.filtered, count: spectrumCount),
                        UnsafeMutableBufferPointer(start: w.y, count: e * outputPoints), batch: e)
        return UnsafePointer(w.x)
    }
}
