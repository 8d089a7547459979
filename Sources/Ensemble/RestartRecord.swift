import Foundation
import MPI
import Storage

/// Everything a killed run needs to go on with identical results: the last completed step, every member's
/// state (normalised, float32, exactly as carried from step to step) and its validity flag, and a
/// fingerprint of the configuration so that a record is never applied to another run.
///
/// `restart.h5` in the output directory: datasets `state[member, channel, lat, lon]` and `valid[member]`
/// (members in the plan's checkpoint-major order), attributes `step`, `fingerprint`, `members` and `inputs`
/// (the content hashes of the checkpoints, initial states and truth the run read: `InputFingerprint`). Written
/// collectively to `restart.h5.partial` and renamed over the previous record only once complete, so a
/// kill while writing leaves the previous record intact. Members are indexed globally: a run may resume
/// on another number of ranks.
struct RestartRecord {
    static let fileName = "restart.h5"

    let directory: String
    var path: String { "\(directory)/\(Self.fileName)" }

    /// Writes the record of `step` collectively. `offset`: this rank's first member in the plan's order.
    func write(step: Int, fingerprint: String, inputs: InputFingerprint, plan: EnsemblePlan, offset: Int, states: [[Float]],
               valid: [Bool], communicator: Communicator) throws {
        let partial = path + ".partial"
        try writeFile(partial, step: step, fingerprint: fingerprint, inputs: inputs, plan: plan, offset: offset, states: states,
                      valid: valid, communicator: communicator)
        try communicator.barrier()
        try communicator.agreeing {
            if communicator.rank == 0 && rename(partial, path) != 0 {   // atomic replacement of the previous record
                throw RunError("cannot rename \(partial) to \(path): \(String(cString: strerror(errno))); the previous record is kept")
            }
        }
    }

    // Under MPI-IO HDF5 closes a file only once its datasets are closed, and Swift releases a local when it
    // likes within its scope: each handle lives in its own function, so the datasets are closed when
    // `writeDatasets` returns and the file when `writeFile` returns — before the rename.
    @inline(never)
    private func writeFile(_ partial: String, step: Int, fingerprint: String, inputs: InputFingerprint, plan: EnsemblePlan,
                           offset: Int, states: [[Float]], valid: [Bool], communicator: Communicator) throws {
        let file = try HDF5File.create(partial, communicator: communicator)
        try file.setAttribute("step", Int64(step))
        try file.setAttribute("fingerprint", fingerprint)
        try file.setAttribute("inputs", inputs.encoded)
        try file.setAttribute("members", Int64(plan.members.count))
        try writeDatasets(file, plan: plan, total: plan.members.count, offset: offset, states: states, valid: valid)
        try file.flush()   // a full disk fails here, before the rename, not silently in the close
    }

    @inline(never)
    private func writeDatasets(_ file: HDF5File, plan: EnsemblePlan, total: Int, offset: Int, states: [[Float]], valid: [Bool]) throws {
        let channels = plan.stateChannels.count
        let state = try file.createDataset("state", of: Float.self, shape: [total, channels, plan.nlat, plan.nlon])
        let flags = try file.createDataset("valid", of: Int32.self, shape: [total])
        try state.write(states.flatMap { $0 }, offset: [offset, 0, 0, 0],
                        count: [states.count, channels, plan.nlat, plan.nlon], transfer: .collective)
        try flags.write(valid.map { Int32($0 ? 1 : 0) }, offset: [offset], count: [valid.count], transfer: .collective)
    }

    /// Reads this rank's members from the record; checks that it belongs to this run and that the inputs
    /// read now (`inputs`) are those the run started with.
    func read(fingerprint: String, inputs: InputFingerprint, plan: EnsemblePlan, offset: Int, count: Int)
        throws -> (step: Int, states: [[Float]], valid: [Bool]) {
        guard FileManager.default.fileExists(atPath: path) else {
            let finished = ["members.h5", "statistics.h5"].map { "\(directory)/\($0)" }.filter { FileManager.default.fileExists(atPath: $0) }
            if !finished.isEmpty {
                throw RunError("--resume: the run in \(directory) has finished (\(finished.joined(separator: ", ")) complete, no restart record); nothing to resume — its files are left as they are")
            }
            throw RunError("--resume: no restart record \(path); the run stopped before its first record (start it again without --resume)")
        }
        let file = try HDF5File.open(path)
        let recorded: String = try file.attribute("fingerprint")
        guard recorded == fingerprint else {
            throw RunError("--resume: \(path) belongs to another configuration (fingerprint \(recorded.prefix(12))…, this run \(fingerprint.prefix(12))…); resume with the configuration and --members of the stopped run, or start again without --resume")
        }
        if file.hasAttribute("inputs") {
            let changes = inputs.changes(since: InputFingerprint(decoding: try file.attribute("inputs")))
            guard changes.isEmpty else {
                throw RunError("--resume: the inputs are not those the stopped run read, so resuming would mix two runs:\n"
                               + changes.map { "    \($0)" }.joined(separator: "\n")
                               + "\n  restore the inputs the run started with, or start again with --overwrite")
            }
        }
        let step = Int(try file.attribute("step", as: Int64.self)[0])
        let channels = plan.stateChannels.count
        let values = try file.openDataset("state").read(Float.self, offset: [offset, 0, 0, 0],
                                                        count: [count, channels, plan.nlat, plan.nlon])
        let flags = try file.openDataset("valid").read(Int32.self, offset: [offset], count: [count])
        let size = plan.stateBytes / MemoryLayout<Float>.size
        let states = (0..<count).map { Array(values[($0 * size)..<(($0 + 1) * size)]) }
        return (step, states, flags.map { $0 != 0 })
    }
}
