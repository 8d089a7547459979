import Foundation
import Kernels
import MPI

/// Content hashes of what a run reads, one per input file — every checkpoint whole, the initial states at the
/// run's initial times, the truth at every lead it scores, the EFI's climate file — so that `--resume` refuses inputs whose contents
/// changed since the run started (a hash of the bytes, not sizes or times), naming the file.
///
/// Reading the truth at every scored lead up front also checks it before the first step: a truth with NaN or
/// infinity is refused at the start (file, index, channel named), not after hours of compute.
///
/// The reads are spread over the ranks (item i on rank i mod size) and the ranks agree on any failure; every
/// rank ends with the same fingerprint.
struct InputFingerprint: Equatable {
    /// (input, hash) in a fixed order, e.g. ("checkpoint data/demo/demo-sfno-0.h5", "0123456789abcdef").
    let entries: [Entry]

    struct Entry: Equatable {
        let input: String
        let hash: String
    }

    /// One unit of reading: a whole file, or one state of a makani-layout file.
    private struct Item {
        let input: String
        let read: () throws -> ContentHash
    }

    static func compute(plan: EnsemblePlan, world: Communicator) throws -> InputFingerprint {
        var items: [Item] = []
        for path in plan.configuration.checkpoints {
            items.append(Item(input: "checkpoint \(path)") { try hashOfFile(path) })
        }
        let initial = try InitialConditionSource(configuration: plan.configuration.initialConditions, modelStepHours: plan.stepHours)
        for time in plan.initialTimes {
            items.append(Item(input: "initial conditions \(initial.description)") {
                var hash = ContentHash()
                hash.add(try initial.read(time: time, channels: plan.stateChannels, nlat: plan.nlat, nlon: plan.nlon))
                return hash
            })
        }
        if plan.configuration.statistics.enabled, let path = plan.configuration.statistics.truth {
            let truth = try InitialConditionSource(location: .file(path), dhours: plan.stepHours)
            let names = plan.truthChannels
            for time in plan.initialTimes {
                for step in plan.outputSteps {
                    let valid = time.addingTimeInterval(Double(step * plan.stepHours * 3600))
                    guard truth.has(valid) else { continue }
                    items.append(Item(input: "truth \(path)") {
                        var hash = ContentHash()
                        hash.add(try truth.read(time: valid, channels: names, nlat: plan.nlat, nlon: plan.nlon))
                        return hash
                    })
                }
            }
        }

        if plan.configuration.statistics.enabled, let efi = plan.configuration.statistics.efi {
            // A resumed run's EFI must use the climate its first part used.
            items.append(Item(input: "EFI climate \(efi.climate)") { try hashOfFile(efi.climate) })
        }

        var values = [UInt64](repeating: 0, count: items.count)
        try world.agreeing {
            for i in stride(from: world.rank, to: items.count, by: world.size) { values[i] = try items[i].read().value }
        }
        if world.size > 1 { try world.allreduce(&values, .sum) }   // each slot has one rank's value, the rest 0

        var order: [String] = []
        var hashes: [String: ContentHash] = [:]
        for (item, value) in zip(items, values) {
            if hashes[item.input] == nil { order.append(item.input) }
            hashes[item.input, default: ContentHash()].add(value)
        }
        return InputFingerprint(entries: order.map { Entry(input: $0, hash: hashes[$0]!.hex) })
    }

    /// The inputs whose hash differs from `recorded`'s (or that only one of them has), with both hashes.
    func changes(since recorded: InputFingerprint) -> [String] {
        let then = Dictionary(recorded.entries.map { ($0.input, $0.hash) }, uniquingKeysWith: { a, _ in a })
        let now = Dictionary(entries.map { ($0.input, $0.hash) }, uniquingKeysWith: { a, _ in a })
        var changes: [String] = []
        for entry in recorded.entries where now[entry.input] != entry.hash {
            changes.append(now[entry.input].map { "\(entry.input): contents changed (hash \($0), the run started with \(entry.hash))" }
                           ?? "\(entry.input): no longer an input of this run")
        }
        for entry in entries where then[entry.input] == nil { changes.append("\(entry.input): not an input when the run started") }
        return changes
    }

    /// One "hash input" line per entry: the form stored in the restart record.
    var encoded: String { entries.map { "\($0.hash) \($0.input)" }.joined(separator: "\n") }

    init(entries: [Entry]) { self.entries = entries }

    init(decoding text: String) {
        entries = text.split(separator: "\n").compactMap { line in
            guard let space = line.firstIndex(of: " ") else { return nil }
            return Entry(input: String(line[line.index(after: space)...]), hash: String(line[..<space]))
        }
    }

    /// The hash of a whole file, read in 8 MiB pieces.
    private static func hashOfFile(_ path: String) throws -> ContentHash {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw RunError("checkpoint \(path): cannot be read; give a readable checkpoint file")
        }
        defer { try? handle.close() }
        var hash = ContentHash()
        while true {
            let piece = try handle.read(upToCount: 8 << 20) ?? Data()
            if piece.isEmpty { break }
            piece.withUnsafeBytes { hash.add($0) }
        }
        return hash
    }
}
