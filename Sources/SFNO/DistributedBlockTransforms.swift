import ComplexModule
import Kernels
import MPI
import Sphere

/// `BlockTransforms` with the fields split over the spatial group (latitudes over `h`, longitudes over
/// `w`), through `DistributedRealSHT`. On a spatial group of one rank it runs the serial transforms, so
/// that a one-rank model is the serial model bit for bit.
///
/// Layouts (rank (hIndex, wIndex)):
/// - fields on the block's input grid: `[E][forward.latitudes][forward.longitudes]`;
/// - coefficients: `[E][degrees][orders]`, `degrees = splitRange(lmax, h, hIndex)`,
///   `orders = splitRange(mmax, w, wIndex)` (both grids share `lmax`, `mmax`, so forward and inverse agree);
/// - fields on the block's output grid: `[E][inverse.latitudes][inverse.longitudes]`.
struct DistributedBlockTransforms: Sendable {
    let serial: BlockTransforms
    let forward: DistributedRealSHT<Float>
    let inverse: DistributedRealSHT<Float>
    /// Whether the spatial group has more than one rank (else the serial transforms run).
    let distributed: Bool

    init(_ serial: BlockTransforms, grid: ProcessGrid) {
        self.serial = serial
        forward = DistributedRealSHT(serial.forward, grid: grid)
        inverse = DistributedRealSHT(serial.inverse, grid: grid)
        distributed = grid.spatial.size > 1
    }

    /// The one entry per block of `BlockTransforms.make`, distributed.
    static func make(for checkpoint: Checkpoint, grid: ProcessGrid) throws -> [DistributedBlockTransforms] {
        try BlockTransforms.make(for: checkpoint).map { DistributedBlockTransforms($0, grid: grid) }
    }

    /// This rank's degrees and orders of the coefficients.
    var degrees: Range<Int> { forward.degrees }
    var orders: Range<Int> { forward.orders }
    /// This rank's grid points of the input and output grids.
    var inputPoints: Int { forward.latitudes.count * forward.longitudes.count }
    var outputPoints: Int { inverse.latitudes.count * inverse.longitudes.count }

    /// `BlockTransforms.spectralPath` on this rank's slab: `w.x` (`[E]` input-grid slabs) → distributed SHT
    /// → `filter` (this rank's degrees) → distributed inverse SHT into `w.y` (output-grid slabs). Returns the
    /// block's skip input (`w.x`, or `w.x` carried to the output grid in `w.residual`).
    /// - filter: the weights of `degrees` (and `orders`, diagonal)
    func spectralPath(filter: SpectralConvolution, channels e: Int, work w: Workspace) throws -> UnsafePointer<Float> {
        guard distributed else { return serial.spectralPath(filter: filter, channels: e, work: w) }
        // 1. Distributed SHT. After this: [E][degrees][orders].
        let coefficients = try forward.forward(Array(UnsafeBufferPointer(start: w.x, count: e * inputPoints)), batch: e)
        var residual = UnsafePointer(w.x)
        if serial.transformsResidual {
            // 2. The skip path to the output grid. After this: [E][output latitudes][output longitudes].
            let carried = try inverse.inverse(coefficients, batch: e)
            carried.withUnsafeBufferPointer { w.residual.update(from: $0.baseAddress!, count: $0.count) }
            residual = UnsafePointer(w.residual)
        }
        // 3. The filter on this rank's degrees and orders: no communication (weights split by l over h).
        let spectrumCount = e * degrees.count * orders.count
        coefficients.withUnsafeBufferPointer {
            filter.apply($0.baseAddress!, into: w.filtered, firstDegree: degrees.lowerBound, firstOrder: orders.lowerBound)
        }
        // 4. Distributed inverse SHT. After this: [E][output latitudes][output longitudes] in w.y.
        let fields = try inverse.inverse(Array(UnsafeBufferPointer(start: w.filtered, count: spectrumCount)), batch: e)
        fields.withUnsafeBufferPointer { w.y.update(from: $0.baseAddress!, count: $0.count) }
        return residual
    }
}
