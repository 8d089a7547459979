import Foundation
import Kernels
import Sphere
import Storage

/// A Myriad SFNO checkpoint (`docs/checkpoint-format.md`, version 1), read and validated as a whole
/// before any work starts: format and version, architecture, every hyperparameter, every expected weight
/// present with its expected shape and no unexpected one, channel names, grid, normalisation and static
/// fields. Every problem is reported with the file, the key, what was expected and found, and a fix.
public struct Checkpoint: Sendable {
    /// The two networks the format describes.
    public enum Architecture: String, Sendable {
        case makani = "makani-sfno"
        case torchHarmonics = "torch-harmonics-sfno"
    }

    /// The normalisation layer inside the blocks.
    public enum Normalization: String, Sendable {
        case instanceNorm = "instance_norm"
        case layerNorm = "layer_norm"
        case none
    }

    public static let format = "myriad-sfno-checkpoint"
    public static let formatVersion = 1

    public let path: String
    public let architecture: Architecture
    /// The model grid `(nlat, nlon)` (input = output grid).
    public let nlat: Int
    public let nlon: Int
    /// The internal grid of the middle blocks `(h, w)`.
    public let internalShape: (nlat: Int, nlon: Int)
    public let grid: SphereGrid
    public let internalGrid: SphereGrid
    public let lmax: Int
    public let mmax: Int
    public let inChannels: Int
    public let outChannels: Int
    public let embedDim: Int
    public let numLayers: Int
    public let useMLP: Bool
    public let mlpHiddenDim: Int
    public let mlpOutputBias: Bool
    /// Index of the second MLP convolution in the key (`mlp.fwd.<index>`).
    public let mlpFC2Index: Int
    public let activation: Activation
    public let normalization: Normalization
    public let normEps: Float
    public let operatorType: SpectralConvolution.Kind
    public let spectralBias: Bool
    public let encoderHiddenLayers: Int
    public let decoderHiddenLayers: Int
    public let encoderHiddenDim: Int
    public let decoderHiddenDim: Int
    public let encoderBias: Bool
    public let decoderBias: Bool
    /// `linear` (makani: 1×1 conv without bias) or `identity` (torch-harmonics).
    public let outerSkipLinear: Bool
    public let bigSkip: Bool
    public let posEmbed: String
    /// Hours per step (0: not known).
    public let dhours: Int
    public let stateChannelCount: Int
    /// z-score normalisation of the state with `means`, `stds`.
    public let zscore: Bool
    public let addZenith: Bool
    public let addGrid: Bool
    public let gridFrequencies: Int
    public let addOrography: Bool
    public let addLandmask: Bool

    public let inputChannelNames: [String]
    public let outputChannelNames: [String]
    public let stateChannelNames: [String]
    /// Degrees, north first.
    public let latitudes: [Double]
    /// Degrees, from 0.
    public let longitudes: [Double]
    /// `[stateChannelCount]` (makani).
    public let means: [Float]?
    public let stds: [Float]?
    /// Raw `[nlat][nlon]` static fields (makani, when added).
    public let orography: [Float]?
    public let landSeaMask: [Float]?

    /// Every weight by its PyTorch key, float32 in the stored (C) order.
    public internal(set) var weights: [String: [Float]]

    /// The precision a network built from this checkpoint runs its 1×1 convolutions in (`compute.precision`):
    /// in bf16 their weights are rounded to bfloat16 once, when the network is built. Not part of the file.
    public var gemmPrecision: GEMMPrecision = .fp32

    /// The weight of `key` (validated at load: asking for another key is a programmer error).
    public func weight(_ key: String) -> [Float] {
        guard let values = weights[key] else { preconditionFailure("Checkpoint: no weight '\(key)' (not validated?)") }
        return values
    }

    // MARK: - Loading

    /// Reads and validates the file; with `weights: false` only the description (attributes, channels,
    /// grid, normalisation, static fields), which is enough to plan a run and check its inputs.
    public init(path: String, weights loadWeights: Bool = true) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw SFNOError(file: path, "no such file", fix: "give the path of a checkpoint written by tools/convert_checkpoint.py")
        }
        let file: HDF5File
        do {
            file = try HDF5File.open(path)
        } catch {
            throw SFNOError(file: path, "cannot be opened as HDF5 (\(error))",
                            fix: "give a checkpoint written by tools/convert_checkpoint.py")
        }
        let reader = AttributeReader(file: file, path: path)

        let format = try reader.string("format")
        guard format == Self.format else {
            throw SFNOError(file: path, object: "@format", "expected '\(Self.format)', found '\(format)'",
                            fix: "convert the PyTorch checkpoint with tools/convert_checkpoint.py")
        }
        let version = try reader.int("format_version")
        guard version == Self.formatVersion else {
            throw SFNOError(file: path, object: "@format_version", "expected \(Self.formatVersion), found \(version)",
                            fix: "use a Myriad that reads version \(version), or reconvert with this Myriad's tools/convert_checkpoint.py")
        }
        let architectureName = try reader.string("architecture")
        guard let architecture = Architecture(rawValue: architectureName) else {
            throw SFNOError(file: path, object: "@architecture",
                            "expected 'makani-sfno' or 'torch-harmonics-sfno', found '\(architectureName)'",
                            fix: "only these two networks are supported")
        }
        self.architecture = architecture

        let inShape = try reader.shape("inp_shape")
        let outShape = try reader.shape("out_shape")
        guard inShape == outShape else {
            throw SFNOError(file: path, object: "@out_shape", "expected the input grid \(inShape), found \(outShape)",
                            fix: "Myriad runs networks whose input and output grids are equal")
        }
        (nlat, nlon) = (inShape[0], inShape[1])
        let internalShape = try reader.shape("internal_shape")
        self.internalShape = (internalShape[0], internalShape[1])
        grid = try reader.grid("grid")
        internalGrid = try reader.grid("grid_internal")
        let scale = try reader.real("scale_factor")
        let rules = architecture.rules
        let expectedInternal = [rules.internalLatitudes(nlat, scale), Int((Double(nlon) / scale).rounded(.down))]
        guard internalShape == expectedInternal else {
            throw SFNOError(file: path, object: "@internal_shape",
                            "expected \(expectedInternal) for grid \(inShape) and scale_factor \(scale), found \(internalShape)",
                            fix: "reconvert the checkpoint with tools/convert_checkpoint.py")
        }
        lmax = try reader.int("lmax")
        mmax = try reader.int("mmax")
        let smallest = min(internalShape[0], nlat)
        let narrowest = min(internalShape[1], nlon) / 2 + 1
        guard lmax >= 1, mmax >= 1, lmax <= smallest, mmax <= narrowest else {
            throw SFNOError(file: path, object: "@lmax",
                            "lmax \(lmax), mmax \(mmax) do not fit the grids \(inShape) and \(internalShape) (need 1 ≤ lmax ≤ \(smallest), 1 ≤ mmax ≤ \(narrowest))",
                            fix: "reconvert the checkpoint with tools/convert_checkpoint.py")
        }
        inChannels = try reader.positive("in_chans")
        outChannels = try reader.positive("out_chans")
        embedDim = try reader.positive("embed_dim")
        numLayers = try reader.positive("num_layers")
        useMLP = try reader.bool("use_mlp")
        mlpHiddenDim = try reader.int("mlp_hidden_dim")
        mlpOutputBias = try reader.bool("mlp_output_bias")
        mlpFC2Index = try rules.fixedMLPFC2Index ?? reader.int("mlp_fc2_index")
        let activationName = try reader.string("activation")
        guard let activation = Activation(rawValue: activationName) else {
            throw SFNOError(file: path, object: "@activation", "expected gelu, relu, silu or identity, found '\(activationName)'",
                            fix: "this activation is not supported")
        }
        self.activation = activation
        let normName = try reader.string("normalization_layer")
        guard let normalization = Normalization(rawValue: normName),
              rules.allowsLayerNorm || normalization != .layerNorm else {
            throw SFNOError(file: path, object: "@normalization_layer", "expected instance_norm, layer_norm (torch-harmonics) or none, found '\(normName)'",
                            fix: "this normalisation is not supported")
        }
        self.normalization = normalization
        normEps = Float(try reader.real("norm_eps"))
        let operatorName = try reader.string("operator_type")
        guard let kind = rules.operatorTypes[operatorName] else {
            throw SFNOError(file: path, object: "@operator_type",
                            "expected \(rules.operatorTypes.keys.sorted().joined(separator: " or ")), found '\(operatorName)'",
                            fix: "this spectral filter is not supported")
        }
        operatorType = kind
        spectralBias = try reader.bool("spectral_bias")
        encoderHiddenLayers = try reader.int("encoder_hidden_layers")
        decoderHiddenLayers = try reader.int("decoder_hidden_layers")
        encoderHiddenDim = try reader.int("encoder_hidden_dim")
        decoderHiddenDim = try reader.int("decoder_hidden_dim")
        encoderBias = try reader.bool("encoder_bias")
        decoderBias = try reader.bool("decoder_bias")
        let innerSkip = try reader.string("inner_skip")
        guard innerSkip == "none" else {
            throw SFNOError(file: path, object: "@inner_skip", "expected 'none', found '\(innerSkip)'",
                            fix: "inner skips are not supported")
        }
        let outerSkip = try reader.string("outer_skip")
        guard outerSkip == rules.outerSkip else {
            throw SFNOError(file: path, object: "@outer_skip",
                            "expected '\(rules.outerSkip)', found '\(outerSkip)'",
                            fix: "this outer skip is not supported")
        }
        outerSkipLinear = outerSkip == "linear"
        bigSkip = try reader.bool("big_skip")
        posEmbed = try reader.string("pos_embed")
        let embeddings = rules.positionEmbeddings
        guard embeddings.contains(posEmbed) else {
            throw SFNOError(file: path, object: "@pos_embed", "expected one of \(embeddings), found '\(posEmbed)'",
                            fix: "this position embedding is not supported")
        }
        dhours = try reader.int("dhours")
        stateChannelCount = try reader.positive("n_state_channels")
        let normalizationName = try reader.string("normalization")
        guard normalizationName == "zscore" || normalizationName == "none" else {
            throw SFNOError(file: path, object: "@normalization", "expected 'zscore' or 'none', found '\(normalizationName)'",
                            fix: "this state normalisation is not supported")
        }
        zscore = normalizationName == "zscore"
        addZenith = try reader.bool("add_zenith")
        addGrid = try reader.bool("add_grid")
        gridFrequencies = try reader.int("grid_num_frequencies")
        addOrography = try reader.bool("add_orography")
        addLandmask = try reader.bool("add_landmask")

        // Channels: the auxiliary inputs must add up.
        let auxiliary = (addZenith ? 1 : 0) + (addGrid ? 2 * gridFrequencies : 0) + (addOrography ? 1 : 0)
            + (addLandmask ? 2 : 0)
        if rules.preprocessesState {
            guard stateChannelCount == outChannels, stateChannelCount + auxiliary == inChannels else {
                throw SFNOError(file: path, object: "@in_chans",
                                "expected n_state_channels \(stateChannelCount) + \(auxiliary) auxiliary = \(stateChannelCount + auxiliary) inputs and \(stateChannelCount) outputs, found \(inChannels) → \(outChannels)",
                                fix: "reconvert the checkpoint with tools/convert_checkpoint.py")
            }
        }
        let data = DatasetReader(file: file, path: path)
        inputChannelNames = try data.strings("channels/in", count: inChannels)
        outputChannelNames = try data.strings("channels/out", count: outChannels)
        stateChannelNames = try data.strings("channels/state", count: stateChannelCount)
        latitudes = try data.doubles("grid/lat", shape: [nlat])
        longitudes = try data.doubles("grid/lon", shape: [nlon])
        if zscore {
            means = try data.floats("normalization/means", shape: [stateChannelCount])
            stds = try data.floats("normalization/stds", shape: [stateChannelCount])
            if let bad = stds!.firstIndex(where: { !($0 > 0) || !$0.isFinite }) {
                throw SFNOError(file: path, object: "normalization/stds", "std of channel \(bad) is \(stds![bad])",
                                fix: "every standard deviation must be positive and finite")
            }
        } else {
            (means, stds) = (nil, nil)
        }
        orography = addOrography ? try data.floats("static/orography", shape: [nlat, nlon]) : nil
        landSeaMask = addLandmask ? try data.floats("static/land_sea_mask", shape: [nlat, nlon]) : nil

        self.weights = [:]
        guard loadWeights else { return }
        // Weights: exactly the expected keys with the expected shapes.
        let weightGroup: HDF5Group
        do {
            weightGroup = try file.openGroup("weights")
        } catch {
            throw SFNOError(file: path, object: "weights", "group missing", fix: "reconvert the checkpoint with tools/convert_checkpoint.py")
        }
        let expected = expectedWeights()
        let found = Set(try weightGroup.memberNames())
        if let extra = found.subtracting(expected.map(\.key)).sorted().first {
            throw SFNOError(file: path, object: "weights/\(extra)",
                            "not a weight of this \(architecture.rawValue) network (\(found.count) keys found, \(expected.count) expected)",
                            fix: "the attributes do not describe these weights; reconvert the checkpoint with tools/convert_checkpoint.py")
        }
        for (key, shape) in expected {
            guard found.contains(key) else {
                throw SFNOError(file: path, object: "weights/\(key)", "missing (expected shape \(shape))",
                                fix: "reconvert the checkpoint with tools/convert_checkpoint.py from a complete PyTorch checkpoint")
            }
            weights[key] = try data.floats("weights/\(key)", shape: shape)
        }
    }
}

// MARK: - Readers with errors that name the file, the object and the fix

/// Attributes of the root group.
struct AttributeReader {
    let file: HDF5File
    let path: String

    private func missing(_ name: String) -> SFNOError {
        SFNOError(file: path, object: "@\(name)", "attribute missing", fix: "reconvert the checkpoint with tools/convert_checkpoint.py")
    }

    func string(_ name: String) throws -> String {
        guard file.hasAttribute(name) else { throw missing(name) }
        do { return try file.attribute(name) } catch {
            throw SFNOError(file: path, object: "@\(name)", "expected a string (\(error))", fix: "reconvert the checkpoint with tools/convert_checkpoint.py")
        }
    }

    func numbers(_ name: String, count: Int) throws -> [Double] {
        guard file.hasAttribute(name) else { throw missing(name) }
        let values: [Double]
        do { values = try file.attribute(name, as: Double.self) } catch {
            throw SFNOError(file: path, object: "@\(name)", "expected a number (\(error))", fix: "reconvert the checkpoint with tools/convert_checkpoint.py")
        }
        guard values.count == count else {
            throw SFNOError(file: path, object: "@\(name)", "expected \(count) value(s), found \(values.count)",
                            fix: "reconvert the checkpoint with tools/convert_checkpoint.py")
        }
        return values
    }

    func real(_ name: String) throws -> Double { try numbers(name, count: 1)[0] }

    func int(_ name: String) throws -> Int {
        let value = try real(name)
        guard value == value.rounded(), value >= 0, value < 1e15 else {
            throw SFNOError(file: path, object: "@\(name)", "expected a non-negative integer, found \(value)",
                            fix: "reconvert the checkpoint with tools/convert_checkpoint.py")
        }
        return Int(value)
    }

    func positive(_ name: String) throws -> Int {
        let value = try int(name)
        guard value > 0 else {
            throw SFNOError(file: path, object: "@\(name)", "expected a positive integer, found 0",
                            fix: "reconvert the checkpoint with tools/convert_checkpoint.py")
        }
        return value
    }

    func bool(_ name: String) throws -> Bool {
        let value = try int(name)
        guard value <= 1 else {
            throw SFNOError(file: path, object: "@\(name)", "expected 0 or 1, found \(value)",
                            fix: "reconvert the checkpoint with tools/convert_checkpoint.py")
        }
        return value == 1
    }

    func shape(_ name: String) throws -> [Int] {
        let values = try numbers(name, count: 2)
        guard values.allSatisfy({ $0 >= 2 && $0 == $0.rounded() }) else {
            throw SFNOError(file: path, object: "@\(name)", "expected two grid sizes ≥ 2, found \(values)",
                            fix: "reconvert the checkpoint with tools/convert_checkpoint.py")
        }
        return values.map { Int($0) }
    }

    func grid(_ name: String) throws -> SphereGrid {
        let value = try string(name)
        guard let grid = SphereGrid(rawValue: value) else {
            throw SFNOError(file: path, object: "@\(name)", "expected 'equiangular' or 'legendre-gauss', found '\(value)'",
                            fix: "only these grids are supported")
        }
        return grid
    }
}

/// Datasets anywhere in the file, checked for type and shape.
struct DatasetReader {
    let file: HDF5File
    let path: String

    private func open(_ name: String) throws -> HDF5Dataset {
        var group: HDF5Group = file
        let parts = name.split(separator: "/").map(String.init)
        do {
            for part in parts.dropLast() { group = try group.openGroup(part) }
            return try group.openDataset(parts.last!)
        } catch {
            throw SFNOError(file: path, object: name, "dataset missing",
                            fix: "reconvert the checkpoint with tools/convert_checkpoint.py")
        }
    }

    private func checked(_ name: String, shape: [Int], type: String) throws -> HDF5Dataset {
        let data = try open(name)
        guard data.shape == shape else {
            throw SFNOError(file: path, object: name, "expected shape \(shape), found \(data.shape)",
                            fix: "the checkpoint's attributes and weights disagree; reconvert it with tools/convert_checkpoint.py")
        }
        guard data.elementTypeName == type else {
            throw SFNOError(file: path, object: name, "expected \(type) elements, found \(data.elementTypeName)",
                            fix: "reconvert the checkpoint with tools/convert_checkpoint.py")
        }
        return data
    }

    func floats(_ name: String, shape: [Int]) throws -> [Float] {
        let values = try checked(name, shape: shape, type: "float32").read(Float.self)
        try Self.requireFinite(values, file: path, object: name)
        return values
    }

    /// Refuses weights, statistics or static fields with NaN or infinity: such a network would turn every
    /// member non-finite after the first step, and only then.
    static func requireFinite(_ values: [Float], file: String, object: String) throws {
        guard let bad = values.firstIndex(where: { !$0.isFinite }) else { return }
        let count = values.lazy.filter { !$0.isFinite }.count
        throw SFNOError(file: file, object: object, "\(count) of its \(values.count) values are not finite (the first at flat index \(bad): \(values[bad]))",
                        fix: "the checkpoint is damaged or its training diverged; use another checkpoint or reconvert it with tools/convert_checkpoint.py")
    }

    func doubles(_ name: String, shape: [Int]) throws -> [Double] {
        try checked(name, shape: shape, type: "float64").read(Double.self)
    }

    func strings(_ name: String, count: Int) throws -> [String] {
        let data = try open(name)
        guard data.shape == [count] else {
            throw SFNOError(file: path, object: name, "expected \(count) names, found shape \(data.shape)",
                            fix: "reconvert the checkpoint with tools/convert_checkpoint.py")
        }
        return try data.readStrings()
    }
}

extension Checkpoint {
    /// This description without the weights: a network keeps it after its layers hold (or have repacked)
    /// what they need, so that a large checkpoint is not held twice.
    public func droppingWeights() -> Checkpoint {
        var copy = self
        copy.weights = [:]
        return copy
    }
}
