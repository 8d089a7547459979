import ModelInterface

/// `perturbation.kind: none`: every member starts from the state as read (one member per checkpoint, or
/// models that differ by checkpoint only).
struct NoPerturbation: PerturbationMethod {
    func perturbation(key: Int, of member: Member, x0: [Float], model: any ForecastModel) throws -> [Float]? { nil }
}
