import Foundation
import MPI
import ModelInterface
import SFNO
import ShallowWater
import Sphere
import XCTest

/// Both model families behind `ModelInterface`: what a description promises before any weight is read is
/// what the model it makes does, and a physics model's units are its physical ones.
final class ModelInterfaceTests: XCTestCase {
    private func shallowWater() throws -> ShallowWaterModelDescription {
        try ShallowWaterModelDescription(nlat: 16, nlon: 32, grid: .equiangular, dt: 600, lmax: 6, mmax: 6,
                                         parameters: .earth, stepHours: 6, source: "test")
    }

    /// The shallow-water model steps the same numbers through `step` and `stepNormalised`, and its
    /// normalisation leaves a state as it is (`PhysicalUnitsForecastModel`).
    func testAPhysicsModelWorksInPhysicalUnits() throws {
        let description = try shallowWater()
        let solver = try ShallowWaterSolver(nlat: 16, nlon: 32, dt: 600, lmax: 6, mmax: 6, grid: .equiangular)
        let model = ShallowWaterForecastModel(model: try ShallowWaterModel(solver: solver, stepHours: 6))
        XCTAssertEqual(model.stateChannels, description.rolloutChannels)
        XCTAssertEqual(model.stepHours, description.stepHours)
        let start = solver.channels(solver.galewskyInitialCondition())
        var normalised = start
        model.normalise(&normalised)
        XCTAssertTrue(normalised == start, "normalise leaves the state as it is")
        model.denormalise(&normalised)
        XCTAssertTrue(normalised == start, "normalise leaves the state as it is")
        var a = start, b = start
        try model.step(&a, validTime: Date(timeIntervalSince1970: 0))
        try model.stepNormalised(&b, validTime: Date(timeIntervalSince1970: 0))
        XCTAssertFalse(a == start, "a step changes the state")
        XCTAssertTrue(a == b, "stepNormalised is step, bit for bit")
    }

    /// Noise amplitudes of the shallow-water model are in units of each channel's spread over the grid.
    func testShallowWaterScalesAreTheInitialStatesSpread() throws {
        let description = try shallowWater()
        let n = 16 * 32
        // Channel c alternates between ±(c + 1): mean 0, standard deviation c + 1.
        var state = [Float]()
        for c in 0..<4 {
            let size = Float(c + 1)
            state += (0..<n).map { (k: Int) -> Float in k % 2 == 0 ? size : -size }
        }
        XCTAssertEqual(description.channelScales(initialState: state), [1, 2, 3, 4])
        XCTAssertFalse(description.splitsOverModelGroups)
        XCTAssertFalse(description.needsValidTime)
        XCTAssertEqual(description.latitudes.first ?? 0, 90, accuracy: 1e-12)
    }

    /// A step that is no whole number of solver steps is refused alike on every rank.
    func testABadShallowWaterStepIsRefusedOnEveryRankAlike() {
        XCTAssertThrowsError(try ShallowWaterModelDescription(nlat: 16, nlon: 32, grid: .equiangular, dt: 7000, lmax: 6,
                                                              mmax: 6, parameters: .earth, stepHours: 6, source: "test")) {
            XCTAssertTrue($0 is SameOnEveryRank, "\(type(of: $0))")
        }
    }

    /// A checkpoint read without weights describes the network that is loaded from it.
    func testACheckpointDescribesItsNetwork() throws {
        for (name, architecture, zenith) in [("makani-hens-33x64.h5", "makani-sfno", true), ("th-sfno-eq33x64.h5", "torch-harmonics-sfno", false)] {
            let path = SFNOFixtureTests.path(name)
            let description: any ForecastModelDescription = try Checkpoint(path: path, weights: false)
            let model = try loadForecastModel(checkpoint: path)
            XCTAssertEqual(description.modelName, architecture)
            XCTAssertEqual(description.source, path)
            XCTAssertEqual(description.rolloutChannels, model.stateChannels, name)
            XCTAssertEqual([description.nlat, description.nlon, description.stepHours], [model.nlat, model.nlon, model.stepHours], name)
            XCTAssertEqual(description.needsValidTime, zenith, name)
            XCTAssertTrue(description.splitsOverModelGroups)
            let checkpoint = try Checkpoint(path: path, weights: false)
            let scales = description.channelScales(initialState: [])
            XCTAssertEqual(scales, checkpoint.stds ?? scales.map { _ in 1 }, name)
            XCTAssertEqual(scales.count, description.rolloutChannels.count, name)
        }
    }
}
