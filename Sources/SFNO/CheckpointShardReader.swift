import Storage

/// Reads a checkpoint's weights piece by piece, so that a rank of a model-parallel group holds only its own
/// shard: each weight is validated as `Checkpoint(path:)` validates it (every expected key present with its
/// shape and float32 elements, no unexpected key), then read whole or as an HDF5 hyperslab.
///
/// Counts the bytes it has read (`bytesRead`): the rank's weight memory.
final class CheckpointShardReader {
    let checkpoint: Checkpoint
    private let file: HDF5File
    private let group: HDF5Group
    private let shapes: [String: [Int]]
    /// Bytes of weights read so far (float32 values × 4).
    private(set) var bytesRead = 0

    /// Opens and validates the weights of `checkpoint` (a description read with `weights: false`).
    init(_ checkpoint: Checkpoint) throws {
        self.checkpoint = checkpoint
        let path = checkpoint.path
        do {
            file = try HDF5File.open(path)
            group = try file.openGroup("weights")
        } catch {
            throw SFNOError(file: path, object: "weights", "group missing", fix: "reconvert the checkpoint with tools/convert_checkpoint.py")
        }
        let expected = checkpoint.expectedWeights()
        let found = Set(try group.memberNames())
        if let extra = found.subtracting(expected.map(\.key)).sorted().first {
            throw SFNOError(file: path, object: "weights/\(extra)",
                            "not a weight of this \(checkpoint.architecture.rawValue) network (\(found.count) keys found, \(expected.count) expected)",
                            fix: "the attributes do not describe these weights; reconvert the checkpoint with tools/convert_checkpoint.py")
        }
        var shapes = [String: [Int]]()
        for (key, shape) in expected {
            guard found.contains(key) else {
                throw SFNOError(file: path, object: "weights/\(key)", "missing (expected shape \(shape))",
                                fix: "reconvert the checkpoint with tools/convert_checkpoint.py from a complete PyTorch checkpoint")
            }
            let data = try group.openDataset(key)
            guard data.shape == shape else {
                throw SFNOError(file: path, object: "weights/\(key)", "expected shape \(shape), found \(data.shape)",
                                fix: "the checkpoint's attributes and weights disagree; reconvert it with tools/convert_checkpoint.py")
            }
            guard data.elementTypeName == "float32" else {
                throw SFNOError(file: path, object: "weights/\(key)", "expected float32 elements, found \(data.elementTypeName)",
                                fix: "reconvert the checkpoint with tools/convert_checkpoint.py")
            }
            shapes[key] = shape
        }
        self.shapes = shapes
    }

    /// The validated shape of `key`.
    func shape(_ key: String) -> [Int] {
        guard let shape = shapes[key] else { preconditionFailure("CheckpointShardReader: '\(key)' is not a weight of this network") }
        return shape
    }

    /// The part of weight `key` in `ranges` (one per axis, nil: the whole axis), row-major as stored.
    func read(_ key: String, _ ranges: [Range<Int>?]? = nil) throws -> [Float] {
        let shape = shape(key)
        let ranges = ranges ?? shape.map { _ in nil }
        precondition(ranges.count == shape.count, "CheckpointShardReader: \(ranges.count) ranges for the \(shape.count) axes of '\(key)'")
        let offset = ranges.map { $0?.lowerBound ?? 0 }
        let count = zip(ranges, shape).map { $0?.count ?? $1 }
        let values: [Float]
        if count.contains(0) {
            values = []
        } else {
            values = try group.openDataset(key).read(Float.self, offset: offset, count: count)
            try DatasetReader.requireFinite(values, file: checkpoint.path, object: "weights/\(key)")
        }
        bytesRead += values.count * MemoryLayout<Float>.size
        return values
    }

    /// The 1×1 convolution `<prefix>.weight` `[out, in, 1, 1]` (and `<prefix>.bias` `[out]`), whole or the
    /// rows `outputs` and columns `inputs` of its weight (a channel-parallel shard; the bias follows the rows).
    func conv(_ prefix: String, bias: Bool, outputs: Range<Int>? = nil, inputs: Range<Int>? = nil) throws -> Conv1x1 {
        let shape = shape("\(prefix).weight")
        return Conv1x1(weight: try read("\(prefix).weight", [outputs, inputs, nil, nil]),
                       bias: bias ? try read("\(prefix).bias", [outputs]) : nil,
                       outChannels: outputs?.count ?? shape[0], inChannels: inputs?.count ?? shape[1],
                       precision: checkpoint.gemmPrecision)
    }

    /// The spectral filter `key` restricted to `degrees` (and, diagonal, `orders`) and to the output channels
    /// `outputs` (all when nil): the hyperslab of the stored `[·][·][lmax]([mmax])[2]` array, repacked for
    /// `SpectralConvolution.apply(_:into:firstDegree:firstOrder:)`.
    func spectralConvolution(_ key: String, degrees: Range<Int>, orders: Range<Int>,
                             outputs: Range<Int>? = nil) throws -> SpectralConvolution {
        let c = checkpoint
        let diagonal = c.operatorType == .diagonal
        let inputFirst = c.architecture.rules.spectralWeightOrder == .inputFirst
        let channels: [Range<Int>?] = inputFirst ? [nil, outputs] : [outputs, nil]
        let ranges: [Range<Int>?] = channels + (diagonal ? [degrees, orders, nil] : [degrees, nil])
        return SpectralConvolution(kind: c.operatorType, stored: try read(key, ranges),
                                   order: inputFirst ? .inputFirst : .outputFirst,
                                   inChannels: c.embedDim, outChannels: outputs?.count ?? c.embedDim,
                                   lmax: degrees.count, mmax: orders.count)
    }
}
