import ComplexModule
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
            let differs = shapeDiffers || (c.architecture.rules.skipRegriddedWhenGridTypeDiffers && forward.grid != inverse.grid)
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
    /// The spectral path every SFNO block shares: `w.x` (`[members][E]` fields on the block's input grid) →
    /// SHT → `filter` → inverse SHT into `w.y` on the output grid. Returns the block's skip input, `w.x`: the
    /// input itself, or, where the grids differ, the input carried to the output grid through the same
    /// transforms, written over it (the SHT has consumed it; a third grid-sized array would be 2.6 GB at HENS
    /// size).
    ///
    /// The members' fields go through each transform as one batch (its Legendre GEMMs get `members` times
    /// more columns) where that gives every member its own numbers bit for bit: measured (MemberBatchTests),
    /// when E is a multiple of 4 — the transforms fold fields in 4 × 4 tiles, which a member's fields then fill
    /// alike at any batch — and at least 16 — batches of 8 fields or fewer take other GEMM shapes, and with
    /// 4 fields per member the coefficients differed. Otherwise each member is transformed alone.
    func spectralPath(filter: SpectralConvolution, channels e: Int, members: Int = 1, work w: Workspace) -> UnsafePointer<Float> {
        let perMember = e * forward.lmax * forward.mmax
        let fieldsPerCall = Self.batchesMembers(channels: e) ? e * members : e
        let calls = e * members / fieldsPerCall
        let spectrumCount = fieldsPerCall * forward.lmax * forward.mmax
        func transform(_ sht: RealSHT<Float>, inverse: Bool, _ fields: UnsafeMutablePointer<Float>,
                       _ spectra: UnsafeMutablePointer<Complex<Float>>, points: Int) {
            for call in 0..<calls {
                let f = fields + call * fieldsPerCall * points, s = spectra + call * spectrumCount
                if inverse {
                    sht.inverse(UnsafeBufferPointer(start: s, count: spectrumCount),
                                UnsafeMutableBufferPointer(start: f, count: fieldsPerCall * points), batch: fieldsPerCall)
                } else {
                    sht.forward(UnsafeBufferPointer(start: f, count: fieldsPerCall * points),
                                UnsafeMutableBufferPointer(start: s, count: spectrumCount), batch: fieldsPerCall)
                }
            }
        }
        transform(forward, inverse: false, w.x, w.coefficients, points: inputPoints)
        if transformsResidual { transform(inverse, inverse: true, w.x, w.coefficients, points: outputPoints) }
        for m in 0..<members { filter.apply(w.coefficients + m * perMember, into: w.filtered + m * perMember) }
        transform(inverse, inverse: true, w.y, w.filtered, points: outputPoints)
        return UnsafePointer(w.x)
    }

    /// Whether the members' fields share the transforms' batches (see `spectralPath`).
    static func batchesMembers(channels e: Int) -> Bool { e % 4 == 0 && e >= 16 }
}
