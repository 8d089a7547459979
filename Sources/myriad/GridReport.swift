import Foundation
import MPI

/// What each rank reports about its place in the process grid: the world ranks of every communicator
/// it belongs to, as seen through that communicator (so the table shows what the splits really built).
struct GridReport {
    struct Row {
        var worldRank: Int
        var node: String
        var ensembleIndex: Int
        var coordinates: (h: Int, w: Int, channel: Int, modelRank: Int)
        /// World ranks of the h, w, channel, spatial, model and ensemble communicators.
        var groups: [[Int]]
    }

    static let groupNames = ["h", "w", "channel", "spatial", "model", "ensemble"]

    /// Collective over the world; the rows (one per world rank, in order) are returned on rank 0.
    static func gather(_ grid: ProcessGrid) throws -> [Row] {
        let me = Int64(grid.world.rank)
        let communicators = [grid.h, grid.w, grid.channel, grid.spatial, grid.model, grid.ensemble]
        var record: [Int64] = [me, Int64(grid.ensembleIndex), Int64(grid.coordinates.h), Int64(grid.coordinates.w),
                               Int64(grid.coordinates.channel), Int64(grid.coordinates.modelRank)]
        for comm in communicators {
            let members = try comm.allgather([me])
            record.append(Int64(members.count))
            record.append(contentsOf: members)
        }
        let (records, counts) = try grid.world.gatherv(record)
        let (names, nameCounts) = try grid.world.gatherv(Array(MPIEnvironment.processorName.utf8))
        guard grid.world.isRoot else { return [] }

        var rows = [Row]()
        var offset = 0
        var nameOffset = 0
        for (count, nameCount) in zip(counts, nameCounts) {
            let r = records[offset..<(offset + count)].map { Int($0) }
            var cursor = r.startIndex + 6
            var groups = [[Int]]()
            for _ in communicators {
                let n = r[cursor]
                groups.append(Array(r[(cursor + 1)...(cursor + n)]))
                cursor += n + 1
            }
            let node = String(decoding: names[nameOffset..<(nameOffset + nameCount)], as: UTF8.self)
            rows.append(Row(worldRank: r[0], node: node, ensembleIndex: r[1],
                            coordinates: (r[2], r[3], r[4], r[5]), groups: groups))
            offset += count
            nameOffset += nameCount
        }
        return rows
    }

    static func render(_ rows: [Row], grid: ProcessGrid) -> String {
        let layout = grid.layout
        var lines = [
            "Process grid: \(grid.world.size) rank\(grid.world.size == 1 ? "" : "s") = \(grid.ensembleGroupCount) "
                + "ensemble group\(grid.ensembleGroupCount == 1 ? "" : "s") × model layout \(layout) "
                + "[\(layout.size) rank\(layout.size == 1 ? "" : "s") per model group]",
        ]
        for g in 0..<grid.ensembleGroupCount {
            lines.append("  ensemble group \(g): world ranks \(compact(Array((g * layout.size)..<((g + 1) * layout.size)))) (model group, contiguous)")
        }
        let header = ["rank", "node", "group", "model", "h", "w", "channel"] + groupNames.map { "\($0)-group" }
        var table = [header]
        for row in rows {
            table.append(["\(row.worldRank)", row.node, "\(row.ensembleIndex)", "\(row.coordinates.modelRank)",
                          "\(row.coordinates.h)", "\(row.coordinates.w)", "\(row.coordinates.channel)"]
                         + row.groups.map(compact))
        }
        let widths = (0..<header.count).map { c in table.map { $0[c].count }.max()! }
        for row in table {
            lines.append(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trailingSpacesRemoved)
        }
        return lines.joined(separator: "\n")
    }

    /// "0-3" for consecutive runs, "0,2" otherwise.
    static func compact(_ ranks: [Int]) -> String {
        var parts = [String]()
        var i = 0
        while i < ranks.count {
            var j = i
            while j + 1 < ranks.count && ranks[j + 1] == ranks[j] + 1 { j += 1 }
            parts.append(j > i ? "\(ranks[i])-\(ranks[j])" : "\(ranks[i])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}

private extension String {
    var trailingSpacesRemoved: String {
        String(reversed().drop(while: { $0 == " " }).reversed())
    }
}
