import MPI

/// How a model-parallel SFNO lays out the fields of one member over its model group: rank (hIndex, wIndex,
/// channelIndex) holds `[channels][latitudes][longitudes]` of the model grid with
/// `latitudes = splitRange(nlat, h, hIndex)` and `longitudes = splitRange(nlon, w, wIndex)` (all channels;
/// ranks that differ only in channelIndex hold the same slab). Also moves whole states between the model
/// group's root and the slabs.
public struct ModelDecomposition: Sendable {
    public let grid: ProcessGrid
    public let nlat: Int
    public let nlon: Int
    /// This rank's rows and columns of the model grid.
    public let latitudes: Range<Int>
    public let longitudes: Range<Int>

    public init(grid: ProcessGrid, nlat: Int, nlon: Int) {
        self.grid = grid
        self.nlat = nlat
        self.nlon = nlon
        (latitudes, longitudes) = Self.slab(nlat: nlat, nlon: nlon, layout: grid.layout,
                                            h: grid.coordinates.h, w: grid.coordinates.w)
    }

    /// Grid points of this rank's slab.
    public var points: Int { latitudes.count * longitudes.count }

    static func slab(nlat: Int, nlon: Int, layout: ModelLayout, h: Int, w: Int) -> (Range<Int>, Range<Int>) {
        (splitRange(nlat, parts: layout.h, index: h), splitRange(nlon, parts: layout.w, index: w))
    }

    /// This rank's slab of a whole field. No communication.
    /// - full: `[channels][nlat][nlon]`; returns `[channels][latitudes][longitudes]`
    public func slab(of full: [Float], channels: Int) -> [Float] {
        precondition(full.count == channels * nlat * nlon,
                     "ModelDecomposition.slab: \(full.count) values, expected \(channels) × \(nlat) × \(nlon)")
        return Self.extract(full, channels: channels, nlat: nlat, nlon: nlon, latitudes, longitudes)
    }

    static func extract(_ full: [Float], channels: Int, nlat: Int, nlon: Int,
                        _ latitudes: Range<Int>, _ longitudes: Range<Int>) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(channels * latitudes.count * longitudes.count)
        for c in 0..<channels {
            for k in latitudes { out += full[((c * nlat + k) * nlon + longitudes.lowerBound)..<((c * nlat + k) * nlon + longitudes.upperBound)] }
        }
        return out
    }

    /// Sends each rank of the model group its slab of `full`, given on the model group's root (rank 0 of
    /// `grid.model`; ignored elsewhere). Collective over the model group (one scatter-like alltoallv).
    /// - full: `[channels][nlat][nlon]` on the root; returns `[channels][latitudes][longitudes]`
    public func scatter(_ full: [Float]?, channels: Int) throws -> [Float] {
        let model = grid.model
        let isRoot = model.rank == 0
        if isRoot { precondition(full?.count == channels * nlat * nlon, "ModelDecomposition.scatter: the root needs the whole field") }
        let mine = channels * points
        var result = [Float](repeating: 0, count: mine)
        try model.exchange(
            sendCounts: (0..<model.size).map { q in isRoot ? channels * slabOf(q).points : 0 },
            receiveCounts: (0..<model.size).map { $0 == 0 ? mine : 0 },
            pack: { q, buffer in
                guard isRoot, let full else { return }
                let s = slabOf(q)
                let values = Self.extract(full, channels: channels, nlat: nlat, nlon: nlon, s.latitudes, s.longitudes)
                _ = buffer.initialize(from: values)
            },
            unpack: { q, buffer in
                if q == 0 { for i in 0..<buffer.count { result[i] = buffer[i] } }
            })
        return result
    }

    /// The whole field on the model group's root, from every rank's slab (ranks with channelIndex > 0 send
    /// nothing: they hold copies). Collective over the model group (one gatherv). Returns nil elsewhere.
    /// - slab: `[channels][latitudes][longitudes]`; returns `[channels][nlat][nlon]` on the root
    public func gather(_ slab: [Float], channels: Int) throws -> [Float]? {
        precondition(slab.count == channels * points, "ModelDecomposition.gather: \(slab.count) values, expected \(channels) × \(points)")
        let (values, counts) = try grid.model.gatherv(grid.coordinates.channel == 0 ? slab : [])
        guard grid.model.rank == 0 else { return nil }
        var full = [Float](repeating: 0, count: channels * nlat * nlon)
        var offset = 0
        for q in 0..<grid.model.size {
            defer { offset += counts[q] }
            guard counts[q] > 0 else { continue }
            let s = slabOf(q)
            var i = offset
            for c in 0..<channels {
                for k in s.latitudes {
                    for j in s.longitudes { full[(c * nlat + k) * nlon + j] = values[i]; i += 1 }
                }
            }
        }
        return full
    }

    /// The slab of model rank `q`.
    private func slabOf(_ q: Int) -> (latitudes: Range<Int>, longitudes: Range<Int>, points: Int) {
        let c = ProcessGrid.placement(worldRank: q, layout: grid.layout).coordinates
        let (lat, lon) = Self.slab(nlat: nlat, nlon: nlon, layout: grid.layout, h: c.h, w: c.w)
        return (lat, lon, lat.count * lon.count)
    }
}
