import Foundation
import Kernels
import ModelInterface
import SFNO
import Storage

/// `sfno-benchmark drift CHECKPOINT REFERENCE.h5 [STEPS]`: what bf16 GEMMs cost in accuracy. The state
/// `input` of REFERENCE (a fixture of tools/fixtures/sfno.py or data/demo/*-reference.h5; valid at its
/// `initial_time` when it has one) is stepped STEPS times (default 20), normalised as earth2mip carries it,
/// by the checkpoint's network in fp32 and in bf16; each step prints the relative L2 of bf16 against fp32,
/// over the whole state and for the worst channel.
func precisionDrift(_ arguments: [String]) throws {
    guard arguments.count >= 2 else { fatalError("usage: sfno-benchmark drift CHECKPOINT REFERENCE.h5 [STEPS]") }
    let steps = arguments.count > 2 ? Int(arguments[2]) ?? 20 : 20
    let reference = try HDF5File.open(arguments[1])
    let start = (try? reference.attribute("initial_time") as String).flatMap { ISO8601DateFormatter().date(from: $0) }
        ?? Date(timeIntervalSince1970: 0)
    let fp32 = try loadForecastModel(checkpoint: arguments[0], precision: .fp32)
    let bf16 = try loadForecastModel(checkpoint: arguments[0], precision: .bf16)
    let channels = fp32.stateChannels.count, points = fp32.nlat * fp32.nlon
    var a = Array(try reference.openDataset("input").read(Float.self).prefix(channels * points)), b = a
    fp32.normalise(&a)
    bf16.normalise(&b)
    print("\(arguments[0]) from \(arguments[1]): relative L2 of bf16 against fp32 (normalised state)")
    print("step  whole state  worst channel")
    for step in 1...steps {
        let time = start + Double((step - 1) * max(1, fp32.stepHours) * 3600)
        try fp32.stepNormalised(&a, validTime: time)
        try bf16.stepNormalised(&b, validTime: time)
        var worst = 0.0, difference = 0.0, norm = 0.0
        for c in 0..<channels {
            var d = 0.0, n = 0.0
            for i in (c * points)..<((c + 1) * points) {
                d += (Double(b[i]) - Double(a[i])) * (Double(b[i]) - Double(a[i]))
                n += Double(a[i]) * Double(a[i])
            }
            worst = max(worst, (d / max(n, .leastNormalMagnitude)).squareRoot())
            difference += d
            norm += n
        }
        print(String(format: "%4d  %.3e    %.3e", step, (difference / norm).squareRoot(), worst))
    }
}
