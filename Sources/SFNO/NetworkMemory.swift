import Foundation
import Kernels
import MPI

/// The memory one rank of a model group holds for a network, worked out from the checkpoint's description
/// alone (before any weight is read), so that a run can choose its batch and print what it will need.
public struct NetworkMemory: Sendable {
    /// Weights this rank holds: its shard of the spectral filters (complex float32), every 1×1 convolution
    /// (float32; in bf16 also the packed bfloat16 copy), norms, embeddings.
    public let weightBytes: Int
    /// Work arrays of one forward pass of `members` members (`Workspace`: the block input and output, the
    /// coefficients and filtered coefficients, each `[members][E]` on this rank's slab; the pointwise layers'
    /// tiles, one set per thread), plus the pass's input and output arrays.
    public let activationBytes: Int
    /// The transforms' precomputed Legendre tables (`lmax × mmax × nlat` floats per grid, forward and inverse).
    public let tableBytes: Int

    public var totalBytes: Int { weightBytes + activationBytes + tableBytes }

    /// - layout: the model group's split (h × w × channel; 1 × 1 × 1: serial)
    /// - members: members per forward pass
    /// - threads: threads per rank (`RankThreads.count`)
    public init(_ c: Checkpoint, layout: ModelLayout, members: Int, precision: GEMMPrecision, threads: Int) {
        let (h, w, channels) = (layout.h, layout.w, layout.channel)
        let e = c.embedDim
        let degrees = (c.lmax + h - 1) / h, orders = (c.mmax + w - 1) / w
        // Spectral weights: l split over h (diagonal: m over w too), output channels over the channel group.
        let filterValues = e * ((e + channels - 1) / channels) * degrees * (c.operatorType == .diagonal ? orders : 1)
        var pointwise = 0, other = 0
        for (key, shape) in c.expectedWeights() where !key.contains("filter.filter.weight") && !key.contains("global_conv.weight") {
            let count = shape.reduce(1, *)
            if shape.count == 4 && shape[2] == 1 && shape[3] == 1 { pointwise += count } else { other += count }
        }
        weightBytes = c.numLayers * filterValues * 8 + pointwise * 4 + (precision == .bf16 ? pointwise * 2 : 0) + other * 4
        func slab(_ nlat: Int, _ nlon: Int) -> Int { ((nlat + h - 1) / h) * ((nlon + w - 1) / w) }
        let grids = [(c.nlat, c.nlon), c.internalShape]
        let points = grids.map { slab($0.0, $0.1) }.max()!
        let widest = max(1, c.useMLP ? c.mlpHiddenDim : 0, c.encoderHiddenDim, c.decoderHiddenDim)
        let tile = grids.map { Workspace.tile(nlat: $0.0, nlon: $0.1) }.max()!
        let spare = c.encoderHiddenLayers > 1 || c.decoderHiddenLayers > 1 ? 2 : 1
        let model = slab(c.nlat, c.nlon)
        activationBytes = members * (2 * e * points * 4 + 2 * e * degrees * orders * 8 + (c.inChannels + c.outChannels) * model * 4)
            + max(threads, 1) * spare * widest * tile * 4
        let distinctGrids = c.internalShape == (c.nlat, c.nlon) ? 1 : 2
        tableBytes = distinctGrids * 2 * c.lmax * c.mmax * ((grids.map(\.0).max()! + 1) / 2) * 4
    }
}
