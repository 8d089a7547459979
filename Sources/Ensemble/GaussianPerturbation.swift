import ModelInterface

/// `perturbation.kind: gaussian`: `dx_c = a · σ_c · ξ` with ξ white N(0, 1) per grid point and `σ_c` the
/// channel's scale (`ModelDescription.channelScales`: the checkpoint's normalisation standard deviation), so
/// that `a` is in units of the channel's spread.
struct GaussianPerturbation: PerturbationMethod {
    let plan: EnsemblePlan
    let amplitude: Double

    func perturbation(key: Int, of member: Member, x0: [Float], model: any ForecastModel) throws -> [Float]? {
        let size = plan.pointCount, seed = plan.configuration.seed
        return channelNoise(plan: plan, amplitude: amplitude, key: key, of: member, x0: x0) { stream in
            SphericalNoise.gaussian(count: size, seed: seed, stream: stream)
        }
    }
}

/// `a · σ_c · field(stream_c)` for every state channel c, the noise of channel c drawn from
/// `RandomStream.stream(member: key, initialTime:, purpose: .gaussianNoise, channel: c)`: the white and the
/// spherical Gaussian methods differ by `field` only.
/// - returns: `[channel][lat][lon]`
func channelNoise(plan: EnsemblePlan, amplitude: Double, key: Int, of member: Member, x0: [Float],
                  field: (UInt64) -> [Float]) -> [Float] {
    let size = plan.pointCount
    var dx = [Float](repeating: 0, count: plan.stateChannels.count * size)
    let stds = plan.model.channelScales(model: member.checkpoint, state: x0)
    let a = Float(amplitude)
    for c in plan.stateChannels.indices {
        let values = field(RandomStream.stream(member: key, initialTime: member.time, purpose: .gaussianNoise, channel: c))
        let scale = a * stds[c]
        for i in 0..<size { dx[c * size + i] = scale * values[i] }
    }
    return dx
}
