import Foundation
import ModelInterface
import XCTest
@testable import Ensemble

/// The one factory of perturbation methods: each `perturbation.kind` gives its type, in centred pairs where
/// configured (by default for bred vectors only); and `CentredPairPerturbation` hands members `2p` and
/// `2p + 1` the `+` and `−` of one draw `p`, drawn once.
final class PerturbationMethodTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func testEachKindBuildsItsType() throws {
        let bred = "kind: bred-vector, seeded_variables: [height], target_rmse: {height: 13.7, u: 0.457}"
        let cases: [(String, String)] = [
            ("kind: none", "NoPerturbation"),
            ("kind: gaussian", "GaussianPerturbation"),
            ("kind: gaussian, centred_pairs: true", "CentredPairPerturbation(GaussianPerturbation)"),
            ("kind: spherical-gaussian", "SphericalGaussianPerturbation"),
            (bred, "CentredPairPerturbation(BredVectorPerturbation)"),
            (bred + ", centred_pairs: false", "BredVectorPerturbation"),
        ]
        let states = try DemoStates.path()
        for (settings, expected) in cases {
            let yaml = """
                checkpoints: [\(Self.root.appendingPathComponent("data/demo/demo-sfno-0.h5").path)]
                initial_conditions: {file: \(states), times: ["2000-01-02T00:00:00Z"]}
                lead_hours: 6
                members: \(settings == "kind: none" ? 1 : 2)
                perturbation: {\(settings)}
                """
            let configuration = try RunConfiguration(yaml: yaml, file: "test.yaml")
            let plan = try EnsemblePlan(configuration: configuration, groupCount: 1)
            let source = try InitialConditionSource(configuration: configuration.initialConditions, modelStepHours: plan.stepHours)
            let method = try configuration.perturbation.makeMethod(plan: plan, source: source)
            XCTAssertEqual(Self.name(method), expected, settings)
        }
    }

    func testCentredPairsShareOneDrawWithOppositeSigns() throws {
        let draws = RecordedDraws()
        let pairs = CentredPairPerturbation(draws)
        let model = StubModel()
        func member(_ k: Int, time: Int = 0) -> Member {
            Member(time: time, checkpoint: 0, perturbation: k, ensemble: k, id: k)
        }
        let dx = try (0..<4).map { try pairs.perturbation(key: $0, of: member($0), x0: [], model: model) }
        XCTAssertEqual(dx, [[2, -0.5], [-2, 0.5], [3, -0.5], [-3, 0.5]])
        XCTAssertEqual(draws.drawn, ["time 0 key 0", "time 0 key 1"], "each pair drawn once, with the pair's number as its key")
        // Another initial time is another draw, though the pair number is the same.
        _ = try pairs.perturbation(key: 0, of: member(0, time: 1), x0: [], model: model)
        XCTAssertEqual(draws.drawn.last, "time 1 key 0")
    }

    /// The type of a method, with the method a pair wraps.
    static func name(_ method: any PerturbationMethod) -> String {
        if let pairs = method as? CentredPairPerturbation { return "CentredPairPerturbation(\(name(pairs.method)))" }
        return "\(type(of: method))"
    }
}

/// Draw `key` is `[key + 2, −0.5]`; records each draw's initial time and key.
private final class RecordedDraws: PerturbationMethod {
    var drawn: [String] = []
    func perturbation(key: Int, of member: Member, x0: [Float], model: any ForecastModel) throws -> [Float]? {
        drawn.append("time \(member.time) key \(key)")
        return [Float(key + 2), -0.5]
    }
}

private final class StubModel: ForecastModel, @unchecked Sendable {
    let stateChannels = ["x"], nlat = 1, nlon = 2, stepHours = 6
    func step(_ state: inout [Float], validTime: Date) throws {}
    func normalise(_ state: inout [Float]) {}
    func denormalise(_ state: inout [Float]) {}
    func stepNormalised(_ state: inout [Float], validTime: Date) throws {}
}
