// Times Myriad's RealSHT (Float) forward and inverse: plan/table construction once, then the median of
// repeated runs. Prints one CSV row per measurement; bench/sht/compare.py runs it beside the references.
//
// usage: sht-benchmark GRID NLAT NLON LMAX BATCH THREADS REPEATS
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
BLASConfiguration.threadCount = threads

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

var sht: RealSHT<Float>!
let setup = try seconds { sht = try RealSHT<Float>(grid: grid, nlat: nlat, nlon: nlon, lmax: lmax, mmax: lmax) }
var fields = [Float](repeating: 0, count: batch * nlat * nlon)
var state: UInt64 = 42
for i in fields.indices {
    state = state &* 6364136223846793005 &+ 1442695040888963407
    fields[i] = Float(Double(state >> 11) / Double(1 << 53) - 0.5)
}
var coefficients = [Complex<Float>](repeating: .zero, count: batch * lmax * lmax)
// Warm-up also makes the FFTW plan (FFTW_MEASURE), which is construction, not transform time.
let planning = seconds { coefficients = sht.forward(fields, batch: batch) }
var forwardTimes = [Double]()
var inverseTimes = [Double]()
for _ in 0..<repeats {
    forwardTimes.append(seconds { coefficients = sht.forward(fields, batch: batch) })
    inverseTimes.append(seconds { fields = sht.inverse(coefficients, batch: batch) })
}
print("library,grid,nlat,nlon,lmax,batch,threads,setup_s,forward_s,inverse_s")
print("myriad,\(grid),\(nlat),\(nlon),\(lmax),\(batch),\(threads),\(setup + planning),\(median(forwardTimes)),\(median(inverseTimes))")
