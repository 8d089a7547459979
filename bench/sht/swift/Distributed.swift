import ComplexModule
import Foundation
import MPI
import Sphere

/// The distributed transform (`DistributedRealSHT`, Float) under `mpirun -np N`, with
/// MYRIAD_BENCH_LAYOUT=h=H,w=W (H·W = N): each rank's slab of the same fields, the pointer API as a model
/// step uses it, one warm-up, then per repeat the slowest rank's time (barrier before each transform,
/// max over ranks after); rank 0 prints the medians as one CSV row, with a checksum of every rank's
/// coefficients and fields after the warm-up's forward and inverse transform (FNV-1a over their bytes), so
/// that two builds can be checked to give the same numbers bit for bit.
///
///     swift build -c release --product sht-benchmark
///     MYRIAD_BENCH_LAYOUT=h=2,w=2 mpirun -np 4 .build/release/sht-benchmark equiangular 361 720 360 16 1 5
func distributedBenchmark(layout text: String, grid: SphereGrid, nlat: Int, nlon: Int, lmax: Int, batch: Int,
                          repeats: Int) throws {
    let world = try MPIEnvironment.start()
    defer { MPIEnvironment.finish() }
    let processGrid = try ProcessGrid(world: world, layout: try ModelLayout(parsing: text))
    let serial = try RealSHT<Float>(grid: grid, nlat: nlat, nlon: nlon, lmax: lmax, mmax: lmax)
    let sht = DistributedRealSHT(serial, grid: processGrid)
    var fields = [Float](repeating: 0, count: batch * sht.latitudes.count * sht.longitudes.count)
    var state = UInt64(42 + world.rank)
    for i in fields.indices {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        fields[i] = Float(Double(state >> 11) / Double(1 << 53) - 0.5)
    }
    var coefficients = [Complex<Float>](repeating: .zero, count: batch * sht.degrees.count * sht.orders.count)
    func forward() throws {
        try fields.withUnsafeBufferPointer { f in try coefficients.withUnsafeMutableBufferPointer { try sht.forward(f, into: $0, batch: batch) } }
    }
    func inverse() throws {
        try coefficients.withUnsafeBufferPointer { c in try fields.withUnsafeMutableBufferPointer { try sht.inverse(c, into: $0, batch: batch) } }
    }
    func slowest(_ body: () throws -> Void) throws -> Double {
        try world.barrier()
        return try world.allreduced(try seconds(body), .max)
    }
    try forward()
    let coefficientHash = coefficients.withUnsafeBytes(fnv1a)
    try inverse()
    let fieldHash = fields.withUnsafeBytes(fnv1a)
    let hashes = try world.allgather([coefficientHash, fieldHash])
    let checksum = hashes.withUnsafeBytes(fnv1a)
    var forwardTimes = [Double](), inverseTimes = [Double]()
    for _ in 0..<repeats {
        forwardTimes.append(try slowest(forward))
        inverseTimes.append(try slowest(inverse))
    }
    if world.isRoot {
        print("library,grid,nlat,nlon,lmax,batch,layout,ranks,forward_s,inverse_s,checksum")
        print("myriad-distributed,\(grid),\(nlat),\(nlon),\(lmax),\(batch),\(text.replacingOccurrences(of: ",", with: " ")),\(world.size),\(median(forwardTimes)),\(median(inverseTimes)),\(String(checksum, radix: 16))")
    }
}

/// FNV-1a, 64 bits, of `bytes`.
func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return hash
}
