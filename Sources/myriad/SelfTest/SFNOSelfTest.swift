import Foundation
import MPI
import SFNO

/// The model-parallel SFNO against the serial one: every rank runs the serial network on the whole input
/// and the distributed network on its slab, for a few autoregressive steps, and the relative L2 error of
/// the whole output (summed over the model group) must stay below 1e-5; on one rank, and on latitude splits
/// that tile the grids as the serial network does (`reproducesSerial`), the two must agree bit for bit. Also
/// checks `ModelDecomposition.scatter` / `gather` against local slicing.
enum SFNOSelfTest {
    static let bound = 1e-5

    static func run(_ checks: SelfTestChecks, layout: ModelLayout, checkpoint path: String, steps: Int) throws {
        let grid = try ProcessGrid(world: checks.world, layout: layout)
        let description = try Checkpoint(path: path, weights: false)
        let name = "\(URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent) layout \(layout)"
        let serial = try loadSFNONetwork(checkpoint: path)
        // Split over the model group even on one rank (each layer then takes its serial path).
        let distributed = try loadSFNONetwork(checkpoint: path, grid: grid)
        let d = distributed.decomposition!
        let weights = try grid.model.allgather([Int64(distributed.weightBytes)])
        report(grid, "\(name): weight bytes per model rank \(weights.map(String.init).joined(separator: ", "))")
        // A torch-harmonics network with more inputs than outputs runs once (forward), others step.
        let projection = description.runsOneStepOnly
        let channels = projection ? description.inChannels : serial.stateChannels.count
        let outChannels = serial.stateChannels.count
        var full = input(channels: channels, points: serial.nlat * serial.nlon, seed: 1 + grid.ensembleIndex)
        var slab = try d.scatter(grid.model.rank == 0 ? full : nil, channels: channels)
        checks.expectEqual(slab, d.slab(of: full, channels: channels), "\(name) scatter")
        let start = Date(timeIntervalSince1970: 1_685_577_600)   // 2023-06-01T00:00Z
        for k in 1...(projection ? 1 : steps) {
            let valid = start.addingTimeInterval(Double((k - 1) * 6 * 3600))
            let communicators = [grid.h, grid.w, grid.spatial, grid.channel]
            let sentBefore = communicators.map(\.bytesSent).reduce(0, +)
            let clock = Date()
            if projection {
                slab = try distributed.forward(members: slab, count: 1, observe: nil)
            } else {
                try distributed.stepNormalised(&slab, validTime: valid)
            }
            let seconds = Date().timeIntervalSince(clock)
            let sent = try grid.model.allreduced(Int64(communicators.map(\.bytesSent).reduce(0, +) - sentBefore), .sum)
            try checkVolume(checks, grid, name: "\(name) step \(k)", description: description, measured: Int(sent))
            if projection {
                full = try serial.forward(members: full, count: 1, observe: nil)
            } else {
                try serial.stepNormalised(&full, validTime: valid)
            }
            try compare(checks, grid, name: "\(name) step \(k)", slab: slab,
                        reference: d.slab(of: full, channels: outChannels), bitForBit: distributed.reproducesSerial,
                        seconds: seconds)
        }
        let gathered = try d.gather(slab, channels: outChannels)
        if grid.model.rank == 0 {
            checks.expect(gathered?.count == full.count, "\(name) gather: wrong size")
            if let gathered {
                let error = relativeL2(gathered, full)
                checks.expect(error <= bound, "\(name) gather: relative L2 \(error)")
            }
        }
    }

    /// Reproducible values of unit order, the same on every rank of a model group.
    static func input(channels: Int, points: Int, seed: Int) -> [Float] {
        var state = UInt64(seed)
        return (0..<(channels * points)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Double(state >> 11) / Double(1 << 53) * 2 - 1)
        }
    }

    static func relativeL2(_ a: [Float], _ b: [Float]) -> Double {
        var difference = 0.0, norm = 0.0
        for (x, y) in zip(a, b) {
            difference += (Double(x) - Double(y)) * (Double(x) - Double(y))
            norm += Double(y) * Double(y)
        }
        return (difference / max(norm, .leastNormalMagnitude)).squareRoot()
    }

    /// The relative L2 error of the whole output over the model group (ranks with channelIndex 0 count);
    /// zero where the split reproduces the serial network (`bitForBit`).
    static func compare(_ checks: SelfTestChecks, _ grid: ProcessGrid, name: String, slab: [Float], reference: [Float],
                        bitForBit: Bool, seconds: Double) throws {
        checks.expect(slab.count == reference.count, "\(name): slab holds \(slab.count) values, expected \(reference.count)")
        var sums = [0.0, 0.0]
        if grid.coordinates.channel == 0 {
            for (x, y) in zip(slab, reference) {
                sums[0] += (Double(x) - Double(y)) * (Double(x) - Double(y))
                sums[1] += Double(y) * Double(y)
            }
        }
        let total = try grid.model.allreduced(sums, .sum)
        let error = (total[0] / max(total[1], .leastNormalMagnitude)).squareRoot()
        let slowest = try grid.model.allreduced(seconds, .max)
        checks.expect(error <= bound, "\(name): relative L2 error \(error) > \(bound)")
        if bitForBit { checks.expect(slab == reference, "\(name): differs from the serial network (error \(error)), which this split reproduces bit for bit") }
        let equal = try grid.model.allreduced(Int32(slab == reference ? 0 : 1), .sum) == 0
        report(grid, "\(name): relative L2 error \(String(format: "%.2e", error))\(equal ? " (bit for bit)" : ""), \(String(format: "%.4f", slowest)) s")
    }

    /// The bytes one step sent against `ModelCommunication.bytesPerStep`: equal where every split divides
    /// evenly, within 5 % otherwise (`splitRange` rounding).
    static func checkVolume(_ checks: SelfTestChecks, _ grid: ProcessGrid, name: String, description: Checkpoint,
                            measured: Int) throws {
        let predicted = ModelCommunication.bytesPerStep(description, layout: grid.layout)
        let difference = abs(Double(measured) - predicted) / max(predicted, 1)
        let even = evenSplits(description, grid.layout)
        checks.expect(even ? Double(measured) == predicted : difference <= 0.05,
                      "\(name): sent \(measured) bytes, the formula says \(predicted) (splits \(even ? "even" : "uneven"))")
        report(grid, "\(name): sent \(measured) bytes, formula \(Int(predicted)) (\(even ? "even splits" : String(format: "uneven splits, %.2f %%", 100 * difference)))")
    }

    /// Whether every split of the network's transforms divides evenly under `layout`.
    static func evenSplits(_ c: Checkpoint, _ layout: ModelLayout) -> Bool {
        let (h, w, e) = (layout.h, layout.w, c.embedDim)
        let grids = [(c.nlat, c.nlon), (c.internalShape.nlat, c.internalShape.nlon)]
        return grids.allSatisfy { $0.0 % h == 0 && $0.1 % w == 0 && (e * $0.0 / h) % w == 0 }
            && c.lmax % h == 0 && c.mmax % w == 0 && (c.mmax / w) % h == 0 && e % layout.channel == 0
            && (!c.useMLP || c.mlpHiddenDim % layout.channel == 0)
    }

    /// Printed by world rank 0 only.
    static func report(_ grid: ProcessGrid, _ line: String) {
        if grid.world.isRoot { print("selftest sfno \(line)") }
    }
}
