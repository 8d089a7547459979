import ModelInterface

/// One way of perturbing the members' initial states: a `perturbation.kind` of the configuration
/// (docs/perturbations.md). Made once per run by `RunConfiguration.Perturbation.makeMethod`, then asked for
/// each perturbed member's `dx`; `MemberPerturbation` adds it, clips the non-negative channels and
/// normalises.
///
/// Every random draw is keyed by (seed, `key`, initial time, purpose, channel), never by rank or order of
/// work, so a member's `dx` is the same on any rank and in any layout.
protocol PerturbationMethod {
    /// The perturbation of draw `key` at `member`'s initial time.
    /// - key: the draw's number (the member's ensemble index; `CentredPairPerturbation` passes its pair's)
    /// - x0: the state read at the member's initial time, physical units, `[channel][lat][lon]`
    /// - returns: `dx`, physical units, `[channel][lat][lon]`, added to `x0`; nil: the state stays as read
    ///   (neither perturbed nor clipped)
    func perturbation(key: Int, of member: Member, x0: [Float], model: any ForecastModel) throws -> [Float]?
}

extension RunConfiguration.Perturbation {
    /// The configured method, built for the run's plan: one type per `kind`, in centred ± pairs when
    /// `effectiveCentredPairs`; bred vectors bred `breedingBatch` pairs at a time. Throws `PerturbationError`
    /// (alike on every rank) when it cannot be built.
    func makeMethod(plan: EnsemblePlan, source: InitialConditionSource, breedingBatch: Int = 1) throws -> any PerturbationMethod {
        let method: any PerturbationMethod
        switch kind {
        case .none: return NoPerturbation()
        case .gaussian: method = GaussianPerturbation(plan: plan, amplitude: effectiveAmplitude)
        case .sphericalGaussian: method = try SphericalGaussianPerturbation(plan: plan, settings: self)
        case .bredVector: method = try BredVectorPerturbation(plan: plan, source: source, settings: self, batch: breedingBatch)
        }
        return effectiveCentredPairs ? CentredPairPerturbation(method) : method
    }
}
