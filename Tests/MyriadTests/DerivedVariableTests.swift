import Ensemble
import Foundation
import Storage
import XCTest

/// Derived variables (`output.derived`, issue #24 point 4): wind speed, IVT, heat index and relative
/// humidity equal MetPy 1.7.1 on the fields of `tools/fixtures/derived.py`; an unknown name or a missing
/// input is refused with what is missing named; every derived name has CF units and a standard name where
/// CF has one. (`myriad run` with derived variables at 1, 2 and 4 ranks: `DerivedVariableRunTests`.)
final class DerivedVariableTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/derived/derived.h5").path

    func testDerivedVariablesMatchMetPy() throws {
        let file = try HDF5File.open(Self.fixture)
        let channels = try file.attribute("channels").split(separator: ",").map(String.init)
        let stateDataset = try file.openDataset("state")
        let points = stateDataset.shape[1]
        XCTAssertEqual(stateDataset.shape[0], channels.count)
        let state = try stateDataset.read(Float.self)
        for name in ["ws10m", "ws100m", "ws500", "ivt", "heat_index", "r2m", "r850", "r300"] {
            let variable = try DerivedVariable.resolve(name, channels: channels).get()
            var field = [Float]()
            state.withUnsafeBufferPointer { variable.compute(state: $0, points: points, into: &field) }
            let expected = try file.openDataset(name).read(Double.self)
            XCTAssertEqual(field.count, points)
            var worst = 0.0
            for i in 0..<points {
                let relative = abs(Double(field[i]) - expected[i]) / max(abs(expected[i]), 1e-30)
                worst = max(worst, relative)
                // float32 output of a float64 computation: within one rounding of MetPy's float64 value
                XCTAssertLessThanOrEqual(relative, 1e-6, "\(name) at point \(i): \(field[i]) vs MetPy \(expected[i])")
            }
            print("agreement \(name) vs MetPy 1.7.1: max relative difference \(worst)")
        }
    }

    /// The state followed by its derived fields, as the runner writes it.
    func testExtendAppendsEachDerivedFieldAfterTheState() throws {
        let channels = ["height", "u", "v", "vorticity"]
        let n = 3
        let state: [Float] = [1, 2, 3, 3, 0, -6, 4, 5, 8, 0, 0, 0]
        let ws = try DerivedVariable.resolve("ws", channels: channels).get()
        XCTAssertEqual(ws.inputs, [1, 2])
        var extended = state
        DerivedVariable.extend(&extended, with: [ws], points: n)
        XCTAssertEqual(extended, state + [5, 5, 10])
    }

    func testUnknownNamesAndMissingInputsAreNamed() {
        let world = ["height", "u", "v", "vorticity"]
        func message(_ name: String, _ channels: [String]) -> String {
            guard case .failure(let error) = DerivedVariable.resolve(name, channels: channels) else { return "resolved" }
            return error.description
        }
        XCTAssertTrue(message("wind", world).contains("'wind' is not a derived variable"), message("wind", world))
        XCTAssertTrue(message("wind", world).contains("ivt, heat_index"), "lists the known names")
        XCTAssertTrue(message("ws10m", world).contains("needs channel(s) u10m, v10m; the model has no u10m, v10m"), message("ws10m", world))
        XCTAssertTrue(message("ws10m", ["u10m"]).hasSuffix("the model has no v10m"), message("ws10m", ["u10m"]))
        XCTAssertTrue(message("heat_index", ["t2m"]).contains("has no 2d"), message("heat_index", ["t2m"]))
        XCTAssertTrue(message("r850", ["t850"]).contains("has no q850"), message("r850", ["t850"]))
        XCTAssertTrue(message("ivt", ["q850", "u850", "v850", "q500", "u500"]).contains("on 1"), message("ivt", ["q850", "u850", "v850", "q500", "u500"]))
        // makani's name of the 2 m dewpoint works as well as ERA5's.
        XCTAssertNotNil(try? DerivedVariable.resolve("heat_index", channels: ["t2m", "2d"]).get())
    }

    func testEveryDerivedNameHasCFMetadata() {
        for (name, units, standardName) in [("ws10m", "m s-1", "wind_speed"), ("ws100m", "m s-1", "wind_speed"),
                                            ("ws500", "m s-1", "wind_speed"), ("ws", "m s-1", "wind_speed"),
                                            ("heat_index", "K", "heat_index_of_air_temperature"),
                                            ("r2m", "%", "relative_humidity"), ("r850", "%", "relative_humidity")] {
            XCTAssertEqual(ChannelMetadata.named(name)?.units, units, name)
            XCTAssertEqual(ChannelMetadata.named(name)?.standardName, standardName, name)
        }
        XCTAssertEqual(ChannelMetadata.named("ivt")?.units, "kg m-1 s-1")
        XCTAssertEqual(ChannelMetadata.named("ws10m")?.longName, "wind speed at 10 m")
        XCTAssertEqual(ChannelMetadata.named("ws500")?.longName, "wind speed at 500 hPa")
        XCTAssertEqual(ChannelMetadata.named("r850")?.squaredUnits, "1e-4")
        XCTAssertNil(ChannelMetadata.named("wsx"))
    }
}
