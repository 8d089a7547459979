import Foundation

/// A `ForecastModel` that works in physical units (a physics model such as the shallow-water solver): its
/// normalised units are its physical ones, so it implements `step` only and the rest follows.
public protocol PhysicalUnitsForecastModel: ForecastModel {}

extension PhysicalUnitsForecastModel {
    /// Nothing to do: the model's units are physical.
    public func normalise(_ state: inout [Float]) {}
    /// Nothing to do: the model's units are physical.
    public func denormalise(_ state: inout [Float]) {}
    /// `step`: the normalised state is the physical one.
    public func stepNormalised(_ state: inout [Float], validTime: Date) throws {
        try step(&state, validTime: validTime)
    }
}
