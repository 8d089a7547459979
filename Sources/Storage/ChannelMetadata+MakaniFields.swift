extension ChannelMetadata {
    /// Describes a makani-layout `fields[time, channel, lat, lon]` dataset (`myriad swe`, `myriad forward`):
    /// its channels have different units, so there is no one CF `units`; each channel's units and standard
    /// name are listed in the order of the channel axis (`channel_units`, `channel_standard_names`; "1" and
    /// "none" where the table does not know the channel).
    public static func describe(_ fields: HDF5Dataset, channels: [String]) throws {
        let known = channels.map { ChannelMetadata.named($0) }
        try fields.setAttribute("long_name", "state fields [time, channel, lat, lon] of the channels \(channels.joined(separator: ", "))")
        try fields.setAttribute("channel_units", known.map { $0?.units ?? "1" }.joined(separator: ", "))
        try fields.setAttribute("channel_standard_names", known.map { $0?.standardName ?? "none" }.joined(separator: ", "))
    }
}
