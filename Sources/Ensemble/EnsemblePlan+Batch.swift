import Foundation
import Kernels
import SFNO

extension EnsemblePlan {
    /// The most members per forward pass the run chooses by itself. Measured on the demo network (1 rank, one
    /// thread): batches of 8 and 16 cost 5–12 % more CPU per member-step than single members and gained no
    /// member-steps/s (docs/performance.md, "Members in batches"), and a HENS-size network fits one member per
    /// rank of a 24 GiB node anyway; so one, until a measurement shows a batch paying. Set
    /// `compute.members_per_forward` to batch.
    public static let automaticMembersPerForwardLimit = 1

    /// Members a rank steps through one forward pass of a network: `compute.members_per_forward` when set, else
    /// the most members of a group, up to `automaticMembersPerForwardLimit`, whose work arrays fit in half of
    /// this rank's share of the machine's memory (its threads' share of the cores) after weights, tables and
    /// states. Never more than a group holds. The runner agrees on the smallest value over all ranks.
    public var membersPerForward: Int {
        let most = max(maximumMembersPerGroup, 1)
        if configuration.membersPerForward > 0 { return min(configuration.membersPerForward, most) }
        guard let one = networkMemory(members: 1) else { return 1 }
        let info = ProcessInfo.processInfo
        let share = Double(info.physicalMemory) * Double(max(RankThreads.count, 1)) / Double(max(info.activeProcessorCount, 1))
        let perMember = max(networkMemory(members: 2)!.activationBytes - one.activationBytes, 1) + 2 * stateBytes
        let fixed = fixedBytesPerRank(one)
        let fitting = Int((share / 2 - Double(fixed)) / Double(perMember))
        return max(1, min(Self.automaticMembersPerForwardLimit, most, fitting))
    }

    /// The network's memory on one rank of a model group for `members` members per pass (the largest of
    /// the checkpoints'); nil for shallow water.
    public func networkMemory(members: Int) -> NetworkMemory? {
        checkpoints.map {
            NetworkMemory($0, layout: configuration.layout, members: members, precision: configuration.precision,
                          threads: RankThreads.count)
        }.max { $0.totalBytes < $1.totalBytes }
    }

    /// Bytes a rank holds whatever the batch: its checkpoints' weights and tables, its members' states with
    /// the physical copies made at output steps, and the restart buffer.
    func fixedBytesPerRank(_ network: NetworkMemory?) -> Int {
        maximumCheckpointsPerGroup * ((network?.weightBytes ?? 0) + (network?.tableBytes ?? 0)) + maximumMembersPerGroup * stateBytes * 3
    }

    /// Bytes a rank holds: `fixedBytesPerRank`, and a forward pass of `membersPerForward` members with the
    /// batch's states gathered for it.
    public var memoryPerRank: Int {
        let b = membersPerForward
        let network = networkMemory(members: b)
        return fixedBytesPerRank(network) + (network?.activationBytes ?? 0) + 2 * b * stateBytes
    }

    /// The summary's memory line: the total and its parts.
    var memoryLine: String {
        let b = membersPerForward
        let how = configuration.membersPerForward > 0 ? "compute.members_per_forward" : "chosen from the memory per rank"
        guard let network = networkMemory(members: b) else {
            return "≈ \(formatBytes(memoryPerRank)) per rank (states); \(b) member(s) per step call"
        }
        return "≈ \(formatBytes(memoryPerRank)) per rank at \(b) member(s) per forward (\(how)), GEMMs in \(configuration.precision.rawValue): "
            + "weights \(formatBytes(maximumCheckpointsPerGroup * network.weightBytes)), activations \(formatBytes(network.activationBytes)), "
            + "Legendre tables ≤ \(formatBytes(maximumCheckpointsPerGroup * network.tableBytes)), states \(formatBytes(maximumMembersPerGroup * stateBytes * 3 + 2 * b * stateBytes))"
    }
}
