import Kernels

/// What differs between the two networks, in one place: every rule that depends on the architecture is a
/// property of `Checkpoint.Architecture.Rules`, all set by one exhaustive switch, so that a third
/// architecture has to answer every one of them (instead of `architecture == .makani` tests spread over
/// the layers, where a new case falls silently into the `else`).
extension Checkpoint.Architecture {
    public struct Rules: Sendable {
        /// How the spectral filter's weight is stored: `[in][out]…` (makani) or `[out][in]…`.
        public let spectralWeightOrder: SpectralConvolution.ChannelOrder
        /// Whether a block carries its skip path through the transforms when its input and output grids differ
        /// in type as well as in shape (makani compares the grid type too, torch-harmonics only the shape).
        public let skipRegriddedWhenGridTypeDiffers: Bool
        /// Normalisation layers per block, when the network has them (makani norm0 and norm1).
        public let normsPerBlock: Int
        /// Internal grid latitudes for `nlat` model latitudes at `scale`: makani `⌊nlat / scale⌋`,
        /// torch-harmonics `⌊(nlat − 1) / scale⌋ + 1`.
        public let internalLatitudes: @Sendable (_ nlat: Int, _ scale: Double) -> Int
        /// The MLP's second layer's index in the weight keys when fixed (makani `fwd.3`); nil: read
        /// `mlp_fc2_index`.
        public let fixedMLPFC2Index: Int?
        /// Whether `layer_norm` is a supported block normalisation.
        public let allowsLayerNorm: Bool
        /// The supported `operator_type` names and the filter each means.
        public let operatorTypes: [String: SpectralConvolution.Kind]
        /// The only supported `outer_skip`.
        public let outerSkip: String
        /// The supported `pos_embed` values.
        public let positionEmbeddings: [String]
        /// makani's preprocessing: the state is the first `n_state_channels` inputs (cos zenith, grid
        /// features, orography, land-sea mask follow), the outputs are the state, and the state is stepped
        /// normalised (earth2mip). Otherwise the network maps its inputs to its outputs as they are.
        public let preprocessesState: Bool
        /// Whether an encoder or decoder with one hidden layer is split over the channel group (makani).
        public let splitsEncoderDecoder: Bool
    }

    public var rules: Rules {
        switch self {
        case .makani:
            Rules(spectralWeightOrder: .inputFirst, skipRegriddedWhenGridTypeDiffers: true, normsPerBlock: 2,
                  internalLatitudes: { nlat, scale in Int((Double(nlat) / scale).rounded(.down)) },
                  fixedMLPFC2Index: 3, allowsLayerNorm: false,
                  operatorTypes: ["dhconv": .perDegree, "diagonal": .diagonal], outerSkip: "linear",
                  positionEmbeddings: ["none", "direct"], preprocessesState: true, splitsEncoderDecoder: true)
        case .torchHarmonics:
            Rules(spectralWeightOrder: .outputFirst, skipRegriddedWhenGridTypeDiffers: false, normsPerBlock: 1,
                  internalLatitudes: { nlat, scale in Int((Double(nlat - 1) / scale).rounded(.down)) + 1 },
                  fixedMLPFC2Index: nil, allowsLayerNorm: true,
                  operatorTypes: ["driscoll-healy": .perDegree], outerSkip: "identity",
                  positionEmbeddings: ["none", "sequence", "spectral", "learnable lat", "learnable latlon"],
                  preprocessesState: false, splitsEncoderDecoder: false)
        }
    }
}

extension Checkpoint {
    /// The channels a rollout carries from step to step: makani's state, a torch-harmonics network's outputs.
    public var rolloutChannelNames: [String] { architecture.rules.preprocessesState ? stateChannelNames : outputChannelNames }

    /// The channels a caller supplies: makani's state (the network adds the rest), a torch-harmonics
    /// network's inputs.
    public var suppliedChannelNames: [String] { architecture.rules.preprocessesState ? stateChannelNames : inputChannelNames }

    /// Whether the network maps its inputs to other channels than it reads, so that it runs one step only
    /// (a torch-harmonics network with in ≠ out channels; makani's outputs are always its state).
    public var runsOneStepOnly: Bool { !architecture.rules.preprocessesState && inChannels != outChannels }
}

extension Checkpoint {
    /// Throws when the network cannot run its GEMMs in `gemmPrecision` on this machine (bf16 without a oneDNN
    /// kernel for the CPU): called when a network is built, before any step.
    func checkGEMMPrecision() throws {
        guard gemmPrecision == .bf16, let problem = OneDNNMatmul.bf16Problem else { return }
        throw SFNOError(file: path, problem, fix: "use compute.precision: fp32 (or --precision fp32)")
    }
}

extension Checkpoint {
    /// Throws unless the checkpoint describes a network of `architecture` (the one `network` implements).
    func requireArchitecture(_ architecture: Architecture, network: String) throws {
        guard self.architecture != architecture else { return }
        throw SFNOError(file: path, object: "@architecture",
                        "\(network) needs a \(architecture.rawValue) checkpoint, this one is \(self.architecture.rawValue)",
                        fix: "load it with loadSFNONetwork(checkpoint:), which picks the network by architecture")
    }
}
