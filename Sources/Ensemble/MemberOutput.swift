import Foundation
import MPI
import Storage

/// The members file `members.h5`: netCDF-4/CF, one float32 variable per output channel
/// `name[ensemble, time, lead_time, lat, lon]`, chunks of one member and one step, written collectively
/// through MPI-IO by every rank of the job (REFERENCE.md §7).
///
/// Also: `checkpoint[ensemble]` (which checkpoint each ensemble index ran) and `member_valid[ensemble,
/// time]` (1, or 0 for a member whose state turned non-finite and which the statistics left out; written
/// by `finish`). The file is written as `members.h5.partial` and renamed by `finish`, so a file under the
/// final name is complete. A resumed run reopens the `.partial` file and writes on.
final class MemberOutput {
    static let fileName = "members.h5"

    let plan: EnsemblePlan
    let path: String
    private let communicator: Communicator
    private var file: NetCDFFile?
    private var variables: [HDF5Dataset] = []
    private var validity: HDF5Dataset?
    /// The partial file reopened by a resumed run (the datasets above belong to it).
    private var reopened: HDF5File?

    var partialPath: String { path + ".partial" }

    /// Creates the partial file, or with `resume` reopens it (it must exist).
    init(plan: EnsemblePlan, directory: String, communicator: Communicator, resume: Bool) throws {
        self.plan = plan
        self.communicator = communicator
        path = "\(directory)/\(Self.fileName)"
        if resume {
            guard FileManager.default.fileExists(atPath: partialPath) else {
                throw RunError("--resume: \(partialPath) is missing, so the members written before the stop are lost; start the run again without --resume")
            }
            let file = try HDF5File.open(partialPath, access: .readWrite, communicator: communicator)
            variables = try plan.outputVariables.map { try file.openDataset(plan.outputChannels[$0]) }
            validity = try file.openDataset("member_valid")
            self.file = nil
            reopened = file
        } else {
            try create()
        }
    }

    private func create() throws {
        let c = plan.configuration
        let checkpointList = c.checkpoints.enumerated().map { "\($0.offset): \($0.element)" }.joined(separator: "\n")
        let file = try NetCDFFile(creating: partialPath, communicator: communicator, attributes: [
            ("title", .text("Myriad ensemble members")),
            ("source", .text("myriad run \(c.file)")),
            ("checkpoints", .text(checkpointList)),
            ("members_per_checkpoint", .integer(Int64(c.membersPerCheckpoint))),
            ("perturbation", .text(c.perturbation.kind.rawValue)),
            ("seed", .integer(Int64(c.seed))),
            ("initial_conditions", .text(c.initialConditions.analysisError.map { error in
                "analyses: the states of \(c.initialConditions.file ?? c.initialConditions.directory ?? "") plus a correlated error (\(error.lengthScaleKm) km) of RMS "
                    + error.rmse.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                    + "; scores verify against the truth, never the analyses"
            } ?? "the states of \(c.initialConditions.file ?? c.initialConditions.directory ?? "") as they are")),
            ("member_id", .text("member id = time index × \(plan.membersPerTime) + ensemble index; ensemble index = checkpoint × \(c.membersPerCheckpoint) + perturbation index")),
        ])
        try file.defineCoordinate("ensemble", values: (0..<plan.membersPerTime).map { Int32($0) },
                                  attributes: NetCDFAttribute.realization
                                      + [("long_name", .text("ensemble member (checkpoint × members per checkpoint + perturbation)"))])
        try file.defineCoordinate("time", values: plan.initialTimes.map { $0.timeIntervalSince1970 / 3600 },
                                  attributes: NetCDFAttribute.hoursSinceEpoch + [("long_name", .text("initial time"))])
        try file.defineCoordinate("lead_time", values: plan.outputSteps.map { Double($0 * plan.stepHours) },
                                  attributes: NetCDFAttribute.leadTimeHours)
        try file.defineCoordinate("lat", values: Array(plan.latitudes[plan.latitudeIndices]), attributes: [
            ("units", .text("degrees_north")), ("standard_name", .text("latitude")),
        ])
        try file.defineCoordinate("lon", values: Array(plan.longitudes[plan.longitudeIndices]), attributes: [
            ("units", .text("degrees_east")), ("standard_name", .text("longitude")),
        ])
        let (nlat, nlon) = (plan.latitudeIndices.count, plan.longitudeIndices.count)
        let level = c.output.compression
        let options = DatasetOptions(chunks: [1, 1, 1, nlat, nlon], deflateLevel: level > 0 ? level : nil, shuffle: level > 0)
        variables = try plan.outputVariables.map { v in
            let name = plan.outputChannels[v]
            let metadata = ChannelMetadata.named(name)
            return try file.defineVariable(name, of: Float.self, dimensions: ["ensemble", "time", "lead_time", "lat", "lon"],
                                           fillValue: Float.nan, options: options,
                                           attributes: [("long_name", .text(metadata?.longName ?? name))] + (metadata?.attributes ?? []))
        }
        // Integers without _FillValue, so that tools read them as integers (every value is written).
        let checkpoint = try file.defineVariable("checkpoint", of: Int32.self, dimensions: ["ensemble"], fillValue: -1,
                                                 fillAttribute: false, attributes: [("long_name", .text("index of the checkpoint in the global attribute checkpoints"))])
        let writes = communicator.rank == 0
        let indices = (0..<plan.membersPerTime).map { Int32($0 / c.membersPerCheckpoint) }
        try checkpoint.write(writes ? indices : [], offset: [0], count: [writes ? indices.count : 0], transfer: .collective)
        validity = try file.defineVariable("member_valid", of: Int32.self, dimensions: ["ensemble", "time"], fillValue: -1,
                                           fillAttribute: false, attributes: [
            ("long_name", .text("1: member finite throughout; 0: turned non-finite, left out of the statistics; -1: not run")),
            ("flag_values", .int32s([-1, 0, 1])),
            ("flag_meanings", .text("not_run turned_non_finite finite_throughout")),
        ])
        self.file = file
    }

    /// Writes output step `slot` (an index into `plan.outputSteps`) of this rank's members, collectively.
    /// - states: physical units, `[outputChannels][lat][lon]` per member (`EnsemblePlan.appendDerived`), in the order of `members`
    func write(slot: Int, members: [Member], states: [[Float]]) throws {
        let (lat, lon) = (plan.latitudeIndices, plan.longitudeIndices)
        let points = plan.pointCount
        for (v, dataset) in variables.enumerated() {
            let channel = plan.outputVariables[v]
            for j in 0..<plan.maximumMembersPerGroup {
                guard j < members.count else {
                    try dataset.write([Float](), offset: [0, 0, 0, 0, 0], count: [0, 0, 0, 0, 0], transfer: .collective)
                    continue
                }
                let member = members[j]
                var crop = [Float]()
                crop.reserveCapacity(lat.count * lon.count)
                states[j].withUnsafeBufferPointer { state in
                    for i in lat {
                        let row = channel * points + i * plan.nlon
                        crop.append(contentsOf: state[(row + lon.lowerBound)..<(row + lon.upperBound)])
                    }
                }
                try dataset.write(crop, offset: [member.ensemble, member.time, slot, 0, 0],
                                  count: [1, 1, 1, lat.count, lon.count], transfer: .collective)
            }
        }
    }

    /// Writes `member_valid` (every rank passes its members' flags), closes and renames the file.
    func finish(members: [Member], valid: [Bool]) throws {
        guard let validity else { return }
        for j in 0..<plan.maximumMembersPerGroup {
            if j < members.count {
                try validity.write([Int32(valid[j] ? 1 : 0)], offset: [members[j].ensemble, members[j].time], count: [1, 1],
                                   transfer: .collective)
            } else {
                try validity.write([Int32](), offset: [0, 0], count: [0, 0], transfer: .collective)
            }
        }
        try flush()   // a full disk fails here, before the rename, not silently in the close
        variables = []
        self.validity = nil
        file = nil
        reopened = nil
        try communicator.barrier()
        try communicator.agreeing {
            if communicator.rank == 0 && rename(partialPath, path) != 0 {   // replaces a final file atomically
                throw RunError("cannot rename \(partialPath) to \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Writes what is buffered to disk, so that the partial file is consistent with the restart record.
    func flush() throws { try (file?.file ?? reopened)?.flush() }

    /// Closes the file without renaming it (a stop for a restart).
    func close() {
        variables = []
        validity = nil
        file = nil
        reopened = nil
    }
}
