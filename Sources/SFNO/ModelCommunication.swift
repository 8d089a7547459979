import MPI

/// The communication volume of one step of a model-parallel SFNO (docs/sfno.md, "Communication volume
/// per step"): the payload bytes all ranks of one model group send to other ranks, with MPI's allreduce
/// counted as a ring (2(c − 1)/c of the buffer per rank), for splits that divide evenly (uneven splits
/// differ by the rounding of `splitRange`).
public enum ModelCommunication {
    /// - Returns: bytes per step for the network `c` under `layout`
    public static func bytesPerStep(_ c: Checkpoint, layout: ModelLayout) -> Double {
        let (h, w, channels) = (Double(layout.h), Double(layout.w), Double(layout.channel))
        let e = Double(c.embedDim), l = Double(c.lmax), m = Double(c.mmax)
        /// One SHT or inverse SHT of E fields on an nlat × nlon grid, within one spatial group.
        func transform(_ nlat: Int, _ nlon: Int) -> Double {
            let (nlat, nlon) = (Double(nlat), Double(nlon))
            return 4 * e * ((nlat * nlon + 2 * nlat * m) * (w - 1) / w + 2 * (nlat + l) * m * (h - 1) / h)
        }
        let model = (c.nlat, c.nlon, c.grid), inner = (c.internalShape.nlat, c.internalShape.nlon, c.internalGrid)
        let spatialRanks = h * w
        let normsPerBlock = c.normalization == .none ? 0.0 : Double(c.architecture.rules.normsPerBlock)
        var spatial = 0.0, channel = 0.0
        for i in 0..<c.numLayers {
            let input = i == 0 ? model : inner
            let output = i == c.numLayers - 1 ? model : inner
            let shapeDiffers = input.0 != output.0 || input.1 != output.1
            let residual = shapeDiffers || (c.architecture.rules.skipRegriddedWhenGridTypeDiffers && input.2 != output.2)
            spatial += transform(input.0, input.1) + transform(output.0, output.1) * (residual ? 2 : 1)
            spatial += normsPerBlock * 8 * 3 * e * spatialRanks * (spatialRanks - 1)
            // The filter's allgather, the MLP's allreduce on the block's output grid.
            channel += 8 * (channels - 1) * e * l * m
            if c.useMLP { channel += 8 * (channels - 1) * e * Double(output.0 * output.1) }
        }
        if c.architecture.rules.splitsEncoderDecoder {
            let points = Double(c.nlat * c.nlon)
            if c.encoderHiddenLayers == 1 { channel += 8 * (channels - 1) * e * points }
            if c.decoderHiddenLayers == 1 { channel += 8 * (channels - 1) * Double(c.outChannels) * points }
        }
        // Each of the channel group's replicas runs its own spatial transforms and norms.
        return spatial * channels + channel
    }
}
