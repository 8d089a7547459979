import MPI

/// The process grid against its definition, checked through the communicators themselves: every
/// member of a rank's h group shares its (ensemble group, w, channel) position and so on, sizes are
/// the layout's factors, model groups are contiguous and ensemble groups strided.
enum GridSelfTest {
    static func run(_ checks: SelfTestChecks, layout: ModelLayout) throws {
        let grid = try ProcessGrid(world: checks.world, layout: layout)
        let c = grid.coordinates
        let me: [Int64] = [Int64(grid.ensembleIndex), Int64(c.h), Int64(c.w), Int64(c.channel), Int64(grid.world.rank)]

        func members(_ comm: Communicator) throws -> [[Int64]] {
            let all = try comm.allgather(me)
            return stride(from: 0, to: all.count, by: me.count).map { Array(all[$0..<($0 + me.count)]) }
        }

        // (communicator, expected size, coordinates that must be shared, coordinate its rank follows)
        let cases: [(String, Communicator, Int, [Int], Int?)] = [
            ("h", grid.h, layout.h, [0, 2, 3], 1),
            ("w", grid.w, layout.w, [0, 1, 3], 2),
            ("channel", grid.channel, layout.channel, [0, 1, 2], 3),
            ("spatial", grid.spatial, layout.h * layout.w, [0, 3], nil),
            ("model", grid.model, layout.size, [0], nil),
            ("ensemble", grid.ensemble, grid.ensembleGroupCount, [1, 2, 3], 0),
        ]
        for (name, comm, size, shared, follows) in cases {
            checks.expect(comm.size == size, "\(name) communicator has \(comm.size) ranks, layout says \(size)")
            let rows = try members(comm)
            for row in rows {
                for k in shared where row[k] != me[k] {
                    checks.expect(false, "\(name) group of world rank \(me[4]) contains world rank \(row[4]) at a different position")
                }
            }
            if let follows {
                checks.expectEqual(rows.map { $0[follows] }, (0..<Int64(size)).map { $0 }, "\(name) ranks ordered by coordinate")
            }
            checks.expectEqual(rows.map { $0[4] }, rows.map { $0[4] }.sorted(), "\(name) ranks ordered by world rank")
        }
        // Model groups are contiguous blocks of world ranks; the model rank follows the world rank.
        let modelRanks = try members(grid.model).map { Int($0[4]) }
        let start = grid.ensembleIndex * layout.size
        checks.expectEqual(modelRanks, Array(start..<(start + layout.size)), "model group is contiguous")
        checks.expect(grid.model.rank == c.modelRank, "model rank \(grid.model.rank) != coordinate \(c.modelRank)")
        // Ensemble groups are strided by the model size.
        let ensembleRanks = try members(grid.ensemble).map { Int($0[4]) }
        checks.expectEqual(ensembleRanks, (0..<grid.ensembleGroupCount).map { $0 * layout.size + c.modelRank },
                           "ensemble group is strided")
        // Every rank appears exactly once in the grid.
        let positions = try grid.world.allgather([Int64(grid.ensembleIndex * layout.size + c.modelRank)])
        checks.expectEqual(positions.sorted(), (0..<Int64(grid.world.size)).map { $0 }, "grid positions are a permutation")
    }
}
