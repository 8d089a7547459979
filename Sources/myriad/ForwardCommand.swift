import ArgumentParser
import Foundation
import Kernels
import Logging
import MPI
import ModelInterface
import SFNO
import Storage

/// `myriad forward`: an SFNO forecast from one initial state.
struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Run an SFNO checkpoint forward from one state of a makani-layout file.",
        discussion: """
            Reads state --index of the dataset fields[time, channel, lat, lon] (physical units) of --input, \
            runs --steps autoregressive steps of the network in --checkpoint (docs/sfno.md) and writes \
            fields[step, channel, lat, lon] float32 in physical units to --output, with the datasets \
            channel (names) and valid_time (ISO 8601) and the attributes checkpoint, initial_time, dhours. \
            Channels are matched by name when a data.json (makani layout, coords.channel) sits beside the \
            input, by position otherwise; its coords.lat and coords.lon, when given, must be the checkpoint's. The valid time of the state is --time, else data.json's \
            start_time + index·dhours; makani networks need it (cos zenith angle). NaN or infinite inputs \
            are refused. Without --layout rank 0 computes and writes; other ranks only check the inputs. With \
            --layout h=H,w=W,channel=C the first H·W·C ranks run the network model-parallel (each its slab \
            of latitudes and longitudes and its shard of the weights, docs/sfno.md) and rank 0 gathers and \
            writes the same file. The output is written to a temporary name and renamed: on error no output file is left.
            """)

    @Option(name: .long, help: "Myriad SFNO checkpoint (.h5, tools/convert_checkpoint.py).")
    var checkpoint: String

    @Option(name: .long, help: "Initial conditions: HDF5 file with fields[time, channel, lat, lon].")
    var input: String

    @Option(name: .long, help: "Time index of the initial state in --input.")
    var index: Int = 0

    @Option(name: .long, help: "Valid time of the initial state, ISO 8601 (e.g. 2023-06-01T00:00:00Z).")
    var time: String?

    @Option(name: .long, help: "Number of steps.")
    var steps: Int = 1

    @Option(name: .long, help: "HDF5 file to write.")
    var output: String

    @Option(name: .long, help: "Model-parallel layout h=H,w=W,channel=C (default: one rank computes the whole network).",
            transform: ModelLayout.init(parsing:))
    var layout = ModelLayout()

    @Option(name: .long, help: "Precision of the 1×1 convolutions: fp32 or bf16 (bfloat16 GEMMs, float32 accumulation; docs/configuration.md, compute.precision).")
    var precision: GEMMPrecision = .fp32

    @OptionGroup var global: GlobalOptions

    func run() throws {
        runSPMD(global) { world, logger in
            guard steps >= 1 else { throw UsageError("--steps must be at least 1, got \(steps)") }
            let grid = try ProcessGrid(world: world, layout: layout)
            // The inputs are checked against the checkpoint's description before any weight is read.
            let plan = try makePlan(try Checkpoint(path: checkpoint, weights: false))
            let model = try loadSFNONetwork(checkpoint: checkpoint, grid: layout.size > 1 ? grid : nil, precision: precision)
            let directory = URL(fileURLWithPath: output).deletingLastPathComponent().path
            guard FileManager.default.isWritableFile(atPath: directory) else {
                throw UsageError("cannot write '\(output)': directory '\(directory)' does not exist or is not writable")
            }
            if let decomposition = model.decomposition {
                // The first model group computes; other groups (if any) only checked the inputs.
                guard grid.ensembleIndex == 0 else { return }
                try runDistributed(model, decomposition: decomposition, plan: plan, grid: grid, logger: logger)
                return
            }
            guard world.isRoot else { return }
            logger.info("forward: \(plan.architecture) network, \(steps) step(s) of \(plan.dhours) h from \(ISO8601DateFormatter().string(from: plan.start)), \(model.nlat) × \(model.nlon), GEMMs in \(precision.rawValue)")
            let clock = Date()
            var state = plan.state
            let formatter = ISO8601DateFormatter()
            let projection = plan.projection
            let file = try ForwardOutput(path: output, steps: steps, channels: plan.outputChannels, nlat: model.nlat, nlon: model.nlon)
            if !projection { model.normalise(&state) }   // carried normalised from step to step
            for k in 0..<steps {
                let valid = plan.start.addingTimeInterval(Double(k * plan.dhours * 3600))
                var physical: [Float]
                if projection {
                    state = try model.forward(members: state, count: 1, observe: nil)
                    physical = state
                } else {
                    try model.stepNormalised(&state, validTime: valid)
                    physical = state
                    model.denormalise(&physical)
                }
                guard physical.allSatisfy(\.isFinite) else { throw nonFinite(step: k + 1) }
                try file.write(step: k, physical, validTime: formatter.string(from: valid.addingTimeInterval(Double(plan.dhours * 3600))))
            }
            try finish(file, plan: plan)
            logger.info("forward: wrote \(output) (\(steps) × \(plan.outputChannels.count) × \(model.nlat) × \(model.nlon)) in \(String(format: "%.2f", Date().timeIntervalSince(clock))) s")
        }
    }

    /// Every rank of the first model group steps its slab; rank 0 gathers each step and writes.
    func runDistributed(_ model: any SFNONetwork, decomposition d: ModelDecomposition, plan: Plan, grid: ProcessGrid,
                        logger: Logger) throws {
        let weightBytes = try grid.model.gather([Int64(model.weightBytes)])
        if grid.model.rank == 0 {
            let mib = weightBytes.map { String(format: "%.2f", Double($0) / 1_048_576) }.joined(separator: ", ")
            logger.info("forward: \(plan.architecture) network, \(steps) step(s) of \(plan.dhours) h from \(ISO8601DateFormatter().string(from: plan.start)), \(model.nlat) × \(model.nlon), GEMMs in \(precision.rawValue), layout \(layout); weights per model rank (MiB): \(mib)")
        }
        let clock = Date()
        let inputChannels = plan.state.count / (model.nlat * model.nlon)
        var state = d.slab(of: plan.state, channels: inputChannels)
        let formatter = ISO8601DateFormatter()
        let file = grid.model.rank == 0
            ? try ForwardOutput(path: output, steps: steps, channels: plan.outputChannels, nlat: model.nlat, nlon: model.nlon) : nil
        if !plan.projection { model.normalise(&state) }
        for k in 0..<steps {
            let valid = plan.start.addingTimeInterval(Double(k * plan.dhours * 3600))
            var physical: [Float]
            if plan.projection {
                state = try model.forward(members: state, count: 1, observe: nil)
                physical = state
            } else {
                try model.stepNormalised(&state, validTime: valid)
                physical = state
                model.denormalise(&physical)
            }
            let whole = try d.gather(physical, channels: plan.outputChannels.count)
            // Rank 0 decides whether the step is finite; every rank of the group agrees, step by step.
            let finite = try grid.model.broadcast(Int32(whole.map { $0.allSatisfy(\.isFinite) } ?? true ? 1 : 0))
            guard finite == 1 else { throw nonFinite(step: k + 1) }
            if let file, let whole {
                try file.write(step: k, whole, validTime: formatter.string(from: valid.addingTimeInterval(Double(plan.dhours * 3600))))
            }
        }
        guard let file else { return }
        try finish(file, plan: plan)
        logger.info("forward: wrote \(output) (\(steps) × \(plan.outputChannels.count) × \(model.nlat) × \(model.nlon)) in \(String(format: "%.2f", Date().timeIntervalSince(clock))) s")
    }

    /// A forecast that turned NaN or infinite: refused, and its file (`ForwardOutput`) is removed.
    func nonFinite(step: Int) -> UsageError {
        UsageError("the forecast from '\(input)' index \(index) is not finite (NaN or infinity) at step \(step); no output written")
    }

    // MARK: - Plan

    struct Plan {
        let architecture: String
        /// `[inputChannels][nlat][nlon]`, in the network's channel order.
        let state: [Float]
        let outputChannels: [String]
        let start: Date
        let dhours: Int
        /// A torch-harmonics network with more inputs than outputs: applied once, not stepped.
        let projection: Bool
    }

    /// Reads and checks everything before any work: shapes, channels, time, finite values, against the
    /// model's description (whatever its architecture).
    func makePlan(_ model: any ForecastModelDescription) throws -> Plan {
        let inputChannels = model.suppliedChannels
        let projection = model.runsOneStepOnly
        guard steps == 1 || !projection else {
            throw UsageError("\(checkpoint): the network maps \(inputChannels.count) channels to \(model.outputChannels.count), so it runs one step only; use --steps 1")
        }
        let (nlat, nlon) = (model.nlat, model.nlon)
        let file: HDF5File
        let fields: HDF5Dataset
        do {
            file = try HDF5File.open(input)
            fields = try file.openDataset("fields")
        } catch {
            throw UsageError("cannot read '\(input)': \(error). Fix: give a makani-layout file with a dataset fields[time, channel, lat, lon]")
        }
        _ = file
        let shape = fields.shape
        guard shape.count == 4, shape[2] == nlat, shape[3] == nlon else {
            throw UsageError("\(input): 'fields' has shape \(shape), expected [time, channel, \(nlat), \(nlon)] for the checkpoint's grid")
        }
        guard (0..<shape[0]).contains(index) else {
            throw UsageError("--index \(index) is outside 0 ..< \(shape[0]), the times of '\(input)'")
        }
        let metadata: MakaniMetadata?
        do { metadata = try MakaniMetadata(besides: input) } catch { throw UsageError("\(error)") }
        if let metadata {
            for (axis, file, expected) in [("lat", metadata.latitudes, model.latitudes),
                                           ("lon", metadata.longitudes, model.longitudes)] {
                guard let file else { continue }
                let close = file.count == expected.count && zip(file, expected).allSatisfy { abs($0 - $1) <= 1e-4 }
                guard close else {
                    throw UsageError("\(metadata.path): coords.\(axis) (\(file.count) values from \(file.first ?? .nan) to \(file.last ?? .nan)) differs from the checkpoint's grid (\(expected.count) values from \(expected.first ?? .nan) to \(expected.last ?? .nan)). Fix: regrid the input (latitudes north → south, longitudes from 0° eastwards)")
                }
            }
        }
        // Which channel of the file feeds each network input.
        let sources: [Int]
        if let names = metadata?.channels {
            guard names.count == shape[1] else {
                throw UsageError("\(metadata!.path): coords.channel has \(names.count) names but '\(input)' has \(shape[1]) channels")
            }
            sources = try inputChannels.map { name in
                guard let i = names.firstIndex(of: name) else {
                    throw UsageError("\(input): channel '\(name)' of the checkpoint is not in \(metadata!.path) (channels: \(names.joined(separator: ", "))). Fix: provide every channel the network needs")
                }
                return i
            }
        } else {
            guard shape[1] == inputChannels.count else {
                throw UsageError("\(input) has \(shape[1]) channels, the checkpoint needs \(inputChannels.count) (\(inputChannels.joined(separator: ", "))); without a data.json beside the input, channels are matched by position. Fix: add data.json with coords.channel, or give a file with exactly these channels")
            }
            sources = Array(0..<shape[1])
        }
        let points = nlat * nlon
        var state = [Float]()
        state.reserveCapacity(sources.count * points)
        for (k, c) in sources.enumerated() {
            let values = try fields.read(Float.self, offset: [index, c, 0, 0], count: [1, 1, nlat, nlon])
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw UsageError("\(input): fields[\(index), \(c)] ('\(inputChannels[k])') is not finite at lat \(bad / nlon), lon \(bad % nlon) (\(values[bad])). Fix: give an initial state without NaN or infinity")
            }
            state += values
        }
        let start: Date
        if let time {
            guard let date = parseTime(time) else {
                throw UsageError("--time '\(time)' is not an ISO 8601 time such as 2023-06-01T00:00:00Z")
            }
            start = date
        } else if let derived = metadata?.validTime(index: index) {
            start = derived
        } else if model.needsValidTime {
            throw UsageError("the network needs the valid time of the initial state (cos zenith angle): give --time, or a data.json with start_time and dhours beside '\(input)'")
        } else {
            start = Date(timeIntervalSince1970: 0)
        }
        return Plan(architecture: model.modelName, state: state,
                    outputChannels: model.outputChannels, start: start, dhours: model.stepHours,
                    projection: projection)
    }

    func parseTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions.insert(.withFractionalSeconds)
        return formatter.date(from: text)
    }

    // MARK: - Output

    func finish(_ file: ForwardOutput, plan: Plan) throws {
        try file.finish(attributes: [("checkpoint", checkpoint), ("input", input),
                                     ("initial_time", ISO8601DateFormatter().string(from: plan.start))],
                        integers: [("index", Int64(index)), ("dhours", Int64(plan.dhours))])
    }
}

extension GEMMPrecision: ExpressibleByArgument {}
