extension Checkpoint {
    /// The 1×1 convolution stored as `<prefix>.weight` `[out, in, 1, 1]` (and `<prefix>.bias` `[out]`).
    func conv(_ prefix: String, bias: Bool) -> Conv1x1 {
        let weight = weight("\(prefix).weight")
        let b = bias ? self.weight("\(prefix).bias") : nil
        let out = expectedShape("\(prefix).weight")[0]
        return Conv1x1(weight: weight, bias: b, outChannels: out, inChannels: weight.count / out, precision: gemmPrecision)
    }

    /// The validated shape of a weight.
    func expectedShape(_ key: String) -> [Int] {
        guard let entry = expectedWeights().first(where: { $0.key == key }) else {
            preconditionFailure("Checkpoint: '\(key)' is not a weight of this network")
        }
        return entry.shape
    }

    /// The spectral filter of a block. Its weight leaves the checkpoint (the filter holds a repacked copy):
    /// a checkpoint owned by nobody else then never holds the largest weights twice (HENS: 8.9 GB).
    mutating func takeSpectralConvolution(_ key: String) -> SpectralConvolution {
        guard let stored = weights.removeValue(forKey: key) else { preconditionFailure("Checkpoint: no weight '\(key)'") }
        return SpectralConvolution(kind: operatorType, stored: stored,
                            order: architecture.rules.spectralWeightOrder,
                            inChannels: embedDim, outChannels: embedDim, lmax: lmax, mmax: mmax)
    }

    /// Encoder or decoder `model.<name>.fwd.*` of makani (hidden convs with bias, then one without).
    func makaniEncoderDecoder(_ name: String, hiddenLayers: Int) -> EncoderDecoder {
        let hidden = (0..<hiddenLayers).map { conv("model.\(name).fwd.\(2 * $0)", bias: true) }
        return EncoderDecoder(hidden: hidden, output: conv("model.\(name).fwd.\(2 * hiddenLayers)", bias: false),
                              activation: activation)
    }
}
