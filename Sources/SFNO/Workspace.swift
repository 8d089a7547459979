import ComplexModule
import Kernels
import MPI

/// The work arrays of one forward pass, taken from a scratch arena so that steps after the first
/// allocate nothing (fresh arrays of `E × nlat × nlon` floats cost a page fault per 4 KiB each step).
struct Workspace {
    /// Grid points a tile of the pointwise layers (MLP, encoder, decoder) holds at most, unless one latitude
    /// row is longer.
    static let tilePoints = 1024

    /// Latitude rows per tile of the pointwise layers on an `nlat × nlon` grid: the largest power of two `R`
    /// with `R · nlon ≤ tilePoints` and `4R ≤ nlat`, at least 1.
    ///
    /// Tiles are whole rows at fixed rows of the whole grid because OpenBLAS's sgemm rounds a column
    /// differently depending on where it falls in the call (measured: a few percent of the values differ
    /// when half the columns are multiplied alone). A model-parallel rank whose latitude split starts at a
    /// multiple of `R` rows (h = 2 or 4 when nlat is a multiple of 4R; any h at one row per tile, as at 0.25°)
    /// so makes the serial network's GEMM calls on the same columns, and its numbers are the serial ones bit
    /// for bit.
    static func tileRows(nlat: Int, nlon: Int) -> Int {
        var rows = 1
        while 2 * rows * nlon <= tilePoints && 8 * rows <= nlat { rows *= 2 }
        return rows
    }

    /// Whether every rank of `layout` tiles its slabs of the model and internal grids as the serial network
    /// tiles the whole grids: an h-only split (w = 1, channel = 1, whose splits cut rows and sums) whose parts
    /// all start at a multiple of the tile rows.
    static func tilesAlign(_ c: Checkpoint, layout: ModelLayout) -> Bool {
        guard layout.w == 1 && layout.channel == 1 else { return false }
        return grids(c).allSatisfy { nlat, nlon in
            let rows = tileRows(nlat: nlat, nlon: nlon)
            return (0..<layout.h).allSatisfy { splitRange(nlat, parts: layout.h, index: $0).lowerBound % rows == 0 }
        }
    }

    /// Grid points per tile on an `nlat × nlon` grid for a slab of `longitudes` of its longitudes (whole rows:
    /// nlon).
    static func tile(nlat: Int, nlon: Int, longitudes: Int? = nil) -> Int {
        tileRows(nlat: nlat, nlon: nlon) * (longitudes ?? nlon)
    }

    /// `[members][E][points]` each: the block input (then its skip path), the filtered field (then the block
    /// output).
    var x: UnsafeMutablePointer<Float>
    var y: UnsafeMutablePointer<Float>
    /// MLP and encoder/decoder hidden layers: one set of `[hidden][tile]` per thread of the rank.
    let tiles: TileWork
    /// `[members][E][lmax][mmax]` each (a model-parallel rank: `[E][its degrees][its orders]`).
    let coefficients: UnsafeMutablePointer<Complex<Float>>
    let filtered: UnsafeMutablePointer<Complex<Float>>

    /// - points: the largest grid of the network (model or internal); a model-parallel rank's largest slab
    /// - coefficientsPerChannel: `lmax × mmax`; a model-parallel rank's share of them
    /// - members: members stepped together (the activations and spectra hold all of them; the tiles' work
    ///   sets do not grow: members take turns through the pointwise layers)
    init(arena: ScratchArena, checkpoint c: Checkpoint, points: Int, coefficientsPerChannel: Int? = nil, members: Int = 1) {
        let e = c.embedDim * members
        let widest = max(1, c.useMLP ? c.mlpHiddenDim : 0, c.encoderHiddenDim, c.decoderHiddenDim)
        let needsSpare = c.encoderHiddenLayers > 1 || c.decoderHiddenLayers > 1
        // The widest tile of the network's grids (a slab's tiles are no wider).
        let tile = min(points, Self.grids(c).map { Self.tile(nlat: $0.nlat, nlon: $0.nlon) }.max()!)
        x = arena.memory(0, count: e * points)
        y = arena.memory(1, count: e * points)
        let sets = RankThreads.count
        tiles = TileWork(hidden: arena.memory(2, count: sets * widest * tile),
                         spare: needsSpare ? arena.memory(3, count: sets * widest * tile) : nil,
                         stride: widest * tile, sets: sets)
        let spectrum = coefficientsPerChannel ?? c.lmax * c.mmax
        coefficients = arena.memory(4, count: e * spectrum)
        filtered = arena.memory(5, count: e * spectrum)
    }

    /// The network's grids: the model grid and the internal grid of the blocks.
    static func grids(_ c: Checkpoint) -> [(nlat: Int, nlon: Int)] {
        [(c.nlat, c.nlon), c.internalShape]
    }

    /// The largest grid of the network.
    static func points(_ c: Checkpoint) -> Int {
        grids(c).map { $0.nlat * $0.nlon }.max()!
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

extension Workspace {
    /// The first stage, the same in both networks: the encoder lifts `input` (`[members][inChannels][points]`)
    /// into `x` (`[members][embedDim][points]`), then the position embedding, if any, is added to every member.
    func encode(_ input: [Float], with encoder: DistributedEncoderDecoder, embedding: PositionEmbedding?,
                embedDim e: Int, points: Int, members: Int, tile: Int) throws {
        try input.withUnsafeBufferPointer { input in
            try encoder.apply(input.baseAddress!, points: points, members: members, work: tiles, tile: tile, into: x)
        }
        if let embedding {
            for m in 0..<members { embedding.add(to: UnsafeMutableBufferPointer(start: x + m * e * points, count: e * points)) }
        }
    }
}
