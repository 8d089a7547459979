import MPI

/// The one member closest to the truth over the whole field: `min_i sqrt⟨(x_i − y)²⟩` (area-weighted),
/// from the members where they are (no transpose). Each rank computes its members' weighted mean squared
/// errors; one allgatherv puts all M of them, in member order, on every rank. Memory: M float64 values.
public enum BestMember {
    /// Weighted mean squared error of each local member. - members: [count][N]; truth, pointWeights: [N]
    public static func meanSquaredErrors(_ members: [Float], truth: [Float], pointWeights: [Double]) -> [Double] {
        let n = truth.count
        precondition(pointWeights.count == n && (n == 0 ? members.isEmpty : members.count % n == 0),
                     "BestMember: \(members.count) values for fields of \(n) points")
        let totalWeight = pointWeights.reduce(0, +)
        return (0..<(n == 0 ? 0 : members.count / n)).map { i in
            var sum = 0.0
            for p in 0..<n {
                let e = Double(members[i * n + p]) - Double(truth[p])
                sum += pointWeights[p] * e * e
            }
            return sum / totalWeight
        }
    }

    /// The best member over all ranks (members split in rank order) and its RMSE; the first on equal errors.
    public static func find(localMembers: [Float], truth: [Float], pointWeights: [Double],
                            communicator: Communicator) throws -> (member: Int, rmse: Double) {
        let mine = meanSquaredErrors(localMembers, truth: truth, pointWeights: pointWeights)
        let all = communicator.size > 1 ? try communicator.allgatherv(mine).values : mine
        precondition(!all.isEmpty, "BestMember.find: no members")
        var best = 0
        for i in all.indices where all[i] < all[best] { best = i }
        return (best, all[best].squareRoot())
    }
}
