import ModelInterface

/// `perturbation.kind: spherical-gaussian`: `GaussianPerturbation` with ξ the correlated spherical field of
/// HENS's seed (`SphericalNoise`: length and time scale from the configuration), drawn per channel.
struct SphericalGaussianPerturbation: PerturbationMethod {
    let plan: EnsemblePlan
    let amplitude: Double
    let noise: SphericalNoise

    init(plan: EnsemblePlan, settings p: RunConfiguration.Perturbation) throws {
        self.plan = plan
        amplitude = p.effectiveAmplitude
        noise = try SphericalNoise(grid: plan.grid, nlat: plan.nlat, nlon: plan.nlon, lengthScale: p.lengthScaleKm * 1000,
                                   timeScale: p.timeScaleHours, stepHours: Double(plan.stepHours))
    }

    func perturbation(key: Int, of member: Member, x0: [Float], model: any ForecastModel) throws -> [Float]? {
        let seed = plan.configuration.seed
        return channelNoise(plan: plan, amplitude: amplitude, key: key, of: member, x0: x0) { stream in
            noise.field(seed: seed, stream: stream)
        }
    }
}
