// Times Myriad's RealSHT (Float) forward and inverse: plan/table construction once, then the median of
// repeated runs. Prints one CSV row per measurement; bench/sht/compare.py runs it beside the references.
// It also prints the Legendre stage's nominal GFLOP per field and direction (2 · lmax(lmax+1)/2 · nlat at
// mmax = lmax: every (l, m ≤ l) pair on half the latitudes, complex times real, without the polar cut-off,
// as bench/sfno counts it) and the machine's sgemm rate measured in the same run (2048³, best of 3, these
// threads), so that compare.py can report the transform's rate as a share of that peak.
//
// usage: sht-benchmark GRID NLAT NLON LMAX BATCH THREADS REPEATS
// MYRIAD_BENCH_ONLY=forward|inverse times one direction only (for profiling one with perf); the other's
// column is then 0. MYRIAD_BENCH_LAYOUT=h=H,w=W under mpirun times the distributed transform instead
// (Distributed.swift; THREADS is then ignored).
import ComplexModule
import Foundation
import Kernels
import Sphere

let arguments = CommandLine.arguments
guard arguments.count == 8, let grid = SphereGrid(rawValue: arguments[1]),
      let nlat = Int(arguments[2]), let nlon = Int(arguments[3]), let lmax = Int(arguments[4]),
      let batch = Int(arguments[5]), let threads = Int(arguments[6]), let repeats = Int(arguments[7]) else {
    FileHandle.standardError.write("usage: sht-benchmark GRID NLAT NLON LMAX BATCH THREADS REPEATS\n".data(using: .utf8)!)
    exit(2)
}
RankThreads.count = threads

/// Wall-clock seconds of `body`; with MYRIAD_BENCH_CLOCK=cpu, the process's CPU seconds instead (robust
/// on a shared machine for one-thread runs; compare.py uses the same clock for every library).
let useCPUClock = ProcessInfo.processInfo.environment["MYRIAD_BENCH_CLOCK"] == "cpu"

func now() -> Double {
    if useCPUClock {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
    return Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = now()
    try body()
    return now() - start
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

if let layout = ProcessInfo.processInfo.environment["MYRIAD_BENCH_LAYOUT"] {
    try distributedBenchmark(layout: layout, grid: grid, nlat: nlat, nlon: nlon, lmax: lmax, batch: batch, repeats: repeats)
    exit(0)
}

var sht: RealSHT<Float>!
let setup = try seconds { sht = try RealSHT<Float>(grid: grid, nlat: nlat, nlon: nlon, lmax: lmax, mmax: lmax) }
var fields = [Float](repeating: 0, count: batch * nlat * nlon)
var state: UInt64 = 42
for i in fields.indices {
    state = state &* 6364136223846793005 &+ 1442695040888963407
    fields[i] = Float(Double(state >> 11) / Double(1 << 53) - 0.5)
}
// Preallocated outputs and the pointer API, as a model step uses it: the timings are the transforms',
// not the allocator's.
var coefficients = [Complex<Float>](repeating: .zero, count: batch * lmax * lmax)
// Warm-up also makes the FFTW plans (FFTW_ESTIMATE, one per row count, on first use) and the scratch arrays:
// construction, not transform time.
let planning = seconds {
    fields.withUnsafeBufferPointer { f in coefficients.withUnsafeMutableBufferPointer { sht.forward(f, $0, batch: batch) } }
    coefficients.withUnsafeBufferPointer { c in fields.withUnsafeMutableBufferPointer { sht.inverse(c, $0, batch: batch) } }
}
let only = ProcessInfo.processInfo.environment["MYRIAD_BENCH_ONLY"] ?? ""
var forwardTimes = [Double]()
var inverseTimes = [Double]()
for _ in 0..<repeats {
    if only != "inverse" { forwardTimes.append(seconds {
        fields.withUnsafeBufferPointer { f in coefficients.withUnsafeMutableBufferPointer { sht.forward(f, $0, batch: batch) } }
    }) }
    if only != "forward" { inverseTimes.append(seconds {
        coefficients.withUnsafeBufferPointer { c in fields.withUnsafeMutableBufferPointer { sht.inverse(c, $0, batch: batch) } }
    }) }
}
let legendreGFLOP = 2 * Double(lmax * (lmax + 1) / 2) * Double(nlat) / 1e9
let peak = measuredSGEMMPeak(size: 2048, repeats: 3)
print("library,grid,nlat,nlon,lmax,batch,threads,setup_s,forward_s,inverse_s,legendre_gflop,sgemm_peak_gflops")
print("myriad,\(grid),\(nlat),\(nlon),\(lmax),\(batch),\(threads),\(setup + planning),\(forwardTimes.isEmpty ? 0 : median(forwardTimes)),\(inverseTimes.isEmpty ? 0 : median(inverseTimes)),\(legendreGFLOP),\(peak / 1e9)")
