/// Physical constants of the shallow-water world, torch-harmonics' `ShallowWaterSolver` defaults (Earth).
public struct ShallowWaterParameters: Sendable, Equatable {
    /// Radius of the sphere, m.
    public var radius: Double = 6.37122e6
    /// Angular velocity of the rotation, rad/s.
    public var omega: Double = 7.292e-5
    /// Gravitational acceleration, m/s².
    public var gravity: Double = 9.80616
    /// Mean fluid depth, m.
    public var havg: Double = 10.0e3
    /// Height amplitude of the initial perturbations, m (Galewsky bump, random geopotential scale).
    public var hamp: Double = 120.0

    public init() {}

    /// The defaults: Earth.
    public static let earth = ShallowWaterParameters()
}
