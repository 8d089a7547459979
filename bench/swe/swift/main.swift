import Foundation
import ShallowWater

// Shallow-water benchmark: Galewsky jet on one core, Myriad's default truncation and time step; prints wall
// time and the mass and energy drift (grid integrals) after each requested day. Results: docs/performance.md.
//
//   swift build -c release --product swe-benchmark
//   OPENBLAS_NUM_THREADS=1 .build/release/swe-benchmark [NLAT NLON DAYS [LMAX]]   (default 128 256 30, lmax ⌈nlat/3⌉)
let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let nlat = arguments.count > 0 ? arguments[0] : 128
let nlon = arguments.count > 1 ? arguments[1] : 256
let days = arguments.count > 2 ? arguments[2] : 30
let lmax = arguments.count > 3 ? arguments[3] : ShallowWaterSolver.defaultDegreeCount(nlat: nlat)
let dt = ShallowWaterSolver.defaultTimeStep(nlat: nlat)
let solver = try ShallowWaterSolver(nlat: nlat, nlon: nlon, dt: dt, lmax: lmax)
let stepsPerDay = Int((86400 / dt).rounded())
var state = solver.galewskyInitialCondition()
let initial = solver.massAndEnergy(state)
print("grid \(nlat)x\(nlon) equiangular, lmax \(solver.lmax), dt \(dt) s, \(stepsPerDay) steps/day")
var seconds = 0.0
for day in 1...days {
    let start = Date()
    state = solver.timestep(state, steps: stepsPerDay)
    seconds += Date().timeIntervalSince(start)
    let now = solver.massAndEnergy(state)
    print(String(format: "day %3d  wall %7.2f s  mass drift %+.3e  energy drift %+.3e", day, seconds,
                 now.mass / initial.mass - 1, now.energy / initial.energy - 1))
}
print(String(format: "%.1f µs per time step", seconds / Double(days * stepsPerDay) * 1e6))
