/// The job's ranks arranged as `ensemble × model`, the model part as `h × w × channel`.
///
/// Layout of world ranks (DESIGN.md, makani's ordering):
/// 1. Model groups are contiguous blocks of `layout.size` ranks: world rank
///    `r = ensembleIndex · layout.size + modelRank`. Model ranks talk most (every SHT transposes), so
///    they sit together on a node.
/// 2. Inside a model group, channel is fastest, then w, then h:
///    `modelRank = (hIndex · w + wIndex) · channel + channelIndex`.
/// 3. Ensemble groups are strided: the ranks with the same `modelRank` across model groups.
///
/// Every communicator exists, with size 1 where its dimension is not split, so code asks the grid for
/// `h`, `w`, `channel`, `ensemble` and never counts ranks itself.
public final class ProcessGrid: @unchecked Sendable {
    public let layout: ModelLayout
    public let world: Communicator
    /// Number of model groups (= ensemble-parallel width).
    public let ensembleGroupCount: Int
    /// Which model group this rank belongs to.
    public let ensembleIndex: Int
    /// This rank's position inside its model group.
    public let coordinates: ModelCoordinates

    /// Ranks sharing this rank's (w, channel) position: the latitude split.
    public let h: Communicator
    /// Ranks sharing this rank's (h, channel) position: the longitude split.
    public let w: Communicator
    /// Ranks sharing this rank's (h, w) position: the channel/weight split.
    public let channel: Communicator
    /// Ranks sharing this rank's channel position: the whole h × w spatial decomposition.
    public let spatial: Communicator
    /// This rank's model group (h × w × channel ranks).
    public let model: Communicator
    /// Ranks with this rank's model position, one per model group.
    public let ensemble: Communicator

    /// Builds the grid over `world`. Collective. Throws if the world size is not a multiple of the
    /// model group size.
    public init(world: Communicator, layout: ModelLayout) throws {
        guard world.size % layout.size == 0 else {
            throw LayoutError.worldDoesNotDivide(worldSize: world.size, layout: layout)
        }
        self.world = world
        self.layout = layout
        ensembleGroupCount = world.size / layout.size
        let placement = ProcessGrid.placement(worldRank: world.rank, layout: layout)
        ensembleIndex = placement.ensembleIndex
        coordinates = placement.coordinates
        let c = coordinates
        let group = ensembleIndex
        // Colours are unique per sub-communicator instance; keys order ranks along the split dimension.
        h = try world.split(color: (group * layout.w + c.w) * layout.channel + c.channel, key: c.h)
        w = try world.split(color: (group * layout.h + c.h) * layout.channel + c.channel, key: c.w)
        channel = try world.split(color: group * layout.h * layout.w + c.h * layout.w + c.w, key: c.channel)
        spatial = try world.split(color: group * layout.channel + c.channel, key: c.h * layout.w + c.w)
        model = try world.split(color: group, key: c.modelRank)
        ensemble = try world.split(color: c.modelRank, key: group)
    }

    /// Where world rank `worldRank` sits for `layout` (pure arithmetic; no communication).
    public static func placement(worldRank: Int, layout: ModelLayout) -> (ensembleIndex: Int, coordinates: ModelCoordinates) {
        let modelRank = worldRank % layout.size
        let channelIndex = modelRank % layout.channel
        let wIndex = (modelRank / layout.channel) % layout.w
        let hIndex = modelRank / (layout.channel * layout.w)
        return (worldRank / layout.size,
                ModelCoordinates(h: hIndex, w: wIndex, channel: channelIndex, modelRank: modelRank))
    }
}

/// A rank's position inside its model group.
public struct ModelCoordinates: Equatable, Sendable {
    public let h: Int
    public let w: Int
    public let channel: Int
    public let modelRank: Int
}
