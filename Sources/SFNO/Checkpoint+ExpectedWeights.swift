extension Checkpoint {
    /// Every weight key the hyperparameters call for, with its PyTorch shape (`+ [2]` for complex), in
    /// the order of the forward pass (docs/checkpoint-format.md, "Weights of …").
    func expectedWeights() -> [(key: String, shape: [Int])] {
        switch architecture {
        case .makani: makaniWeights()
        case .torchHarmonics: torchHarmonicsWeights()
        }
    }

    /// The keys of `model.encoder.fwd.*` / `model.decoder.fwd.*`: `hidden` convs with bias, then one without.
    private func encoderDecoder(_ name: String, hidden: Int, hiddenDim: Int, from: Int, to: Int) -> [(String, [Int])] {
        var keys = [(String, [Int])]()
        var channels = from
        for j in 0..<hidden {
            keys.append(("model.\(name).fwd.\(2 * j).weight", [hiddenDim, channels, 1, 1]))
            keys.append(("model.\(name).fwd.\(2 * j).bias", [hiddenDim]))
            channels = hiddenDim
        }
        keys.append(("model.\(name).fwd.\(2 * hidden).weight", [to, channels, 1, 1]))
        return keys
    }

    private func makaniWeights() -> [(key: String, shape: [Int])] {
        let e = embedDim
        var keys = encoderDecoder("encoder", hidden: encoderHiddenLayers, hiddenDim: encoderHiddenDim, from: inChannels, to: e)
        for i in 0..<numLayers {
            let b = "model.blocks.\(i)"
            keys.append(("\(b).filter.filter.weight", operatorType == .diagonal ? [e, e, lmax, mmax, 2] : [e, e, lmax, 2]))
            if normalization == .instanceNorm {
                for norm in ["norm0", "norm1"] {
                    keys.append(("\(b).\(norm).weight", [e]))
                    keys.append(("\(b).\(norm).bias", [e]))
                }
            }
            if useMLP {
                keys.append(("\(b).mlp.fwd.0.weight", [mlpHiddenDim, e, 1, 1]))
                keys.append(("\(b).mlp.fwd.0.bias", [mlpHiddenDim]))
                keys.append(("\(b).mlp.fwd.3.weight", [e, mlpHiddenDim, 1, 1]))
                keys.append(("\(b).mlp.fwd.3.bias", [e]))
            }
            keys.append(("\(b).outer_skip.weight", [e, e, 1, 1]))
        }
        keys += encoderDecoder("decoder", hidden: decoderHiddenLayers, hiddenDim: decoderHiddenDim, from: e, to: outChannels)
        if bigSkip { keys.append(("model.residual_transform.weight", [outChannels, inChannels, 1, 1])) }
        if posEmbed == "direct" { keys.append(("model.pos_embed", [1, e, nlat, nlon])) }
        return keys.map { (key: $0.0, shape: $0.1) }
    }

    private func torchHarmonicsWeights() -> [(key: String, shape: [Int])] {
        let e = embedDim
        var keys: [(String, [Int])] = [("encoder.0.weight", [e, inChannels, 1, 1])]
        if encoderBias { keys.append(("encoder.0.bias", [e])) }
        switch posEmbed {
        case "learnable lat": keys.append(("pos_embed.position_embeddings", [1, e, nlat, 1]))
        case "none": break
        default: keys.append(("pos_embed.position_embeddings", [1, e, nlat, nlon]))
        }
        for i in 0..<numLayers {
            let b = "blocks.\(i)"
            keys.append(("\(b).global_conv.weight", [e, e, lmax, 2]))
            if spectralBias { keys.append(("\(b).global_conv.bias", [1, e, 1, 1])) }
            switch normalization {
            case .instanceNorm:
                keys.append(("\(b).norm.weight", [e]))
                keys.append(("\(b).norm.bias", [e]))
            case .layerNorm:
                let shape = i == numLayers - 1 ? [nlat, nlon] : [internalShape.nlat, internalShape.nlon]
                keys.append(("\(b).norm.weight", shape))
                keys.append(("\(b).norm.bias", shape))
            case .none: break
            }
            if useMLP {
                keys.append(("\(b).mlp.fwd.0.weight", [mlpHiddenDim, e, 1, 1]))
                keys.append(("\(b).mlp.fwd.0.bias", [mlpHiddenDim]))
                keys.append(("\(b).mlp.fwd.\(mlpFC2Index).weight", [e, mlpHiddenDim, 1, 1]))
                if mlpOutputBias { keys.append(("\(b).mlp.fwd.\(mlpFC2Index).bias", [e])) }
            }
        }
        keys.append(("decoder.0.weight", [outChannels, e, 1, 1]))
        if decoderBias { keys.append(("decoder.0.bias", [outChannels])) }
        if bigSkip && inChannels != outChannels {
            keys.append(("residual_projection.weight", [outChannels, inChannels, 1, 1]))
        }
        return keys.map { (key: $0.0, shape: $0.1) }
    }
}
