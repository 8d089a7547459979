import MPI

/// Verification of one variable at one lead time when the members are split over the ranks of an
/// ensemble communicator — the step the ensemble runner calls in-situ and `myriad score` offline:
///
/// 1. `EnsembleTranspose.forward`: members → all members at a slab of points (the M-sized buffer);
/// 2. `SlabScores`: sort each point's members, per-point scores;
/// 3. `VerificationSummary`: weighted sums over the slab, one sum-allreduce;
/// 4. `BestMember`: each member's weighted MSE where it is, one allgatherv.
///
/// Memory beyond the transpose buffer: O(points / P) per-point scores and the summary's sums.
public enum EnsembleVerification {
    /// - localMembers: [transpose.localMembers.count][N] float32; truth: [N]; pointWeights: [N]
    /// - Returns: this rank's slab scores, the global summary and the best member (the same on every rank).
    public static func verify(localMembers: [Float], truth: [Float], pointWeights: [Double],
                              transpose: EnsembleTranspose, lead: Int, variable: Int,
                              configuration: ScoreConfiguration,
                              communicator: Communicator) throws
        -> (slab: SlabScores, summary: VerificationSummary, bestMember: (member: Int, rmse: Double)) {
        precondition(truth.count == transpose.pointCount && pointWeights.count == transpose.pointCount,
                     "EnsembleVerification: truth and weights need \(transpose.pointCount) points")
        let slabMembers = try transpose.forward(localMembers, over: communicator)
        let points = transpose.localPoints
        let slabTruth = Array(truth[points])
        let slabWeights = Array(pointWeights[points])
        let slab = slabMembers.withUnsafeBufferPointer { x in
            slabTruth.withUnsafeBufferPointer { y in
                SlabScores(members: x, truth: y, memberCount: transpose.memberCount, firstPoint: points.lowerBound,
                           lead: lead, variable: variable, configuration: configuration)
            }
        }
        var summary = VerificationSummary(memberCount: transpose.memberCount, thresholdCount: configuration.thresholds.count)
        slabTruth.withUnsafeBufferPointer { y in
            slabWeights.withUnsafeBufferPointer { w in
                summary.add(slab, truth: y, pointWeights: w)
                slabMembers.withUnsafeBufferPointer { summary.addEnergy(members: $0, truth: y, pointWeights: w) }
            }
        }
        let best = try BestMember.find(localMembers: localMembers, truth: truth, pointWeights: pointWeights,
                                       communicator: communicator)
        return (slab, try summary.reduced(over: communicator), best)
    }
}
