import Foundation
import Kernels
import ModelInterface
import SFNO
import Storage

// SFNO benchmark (issue 4, case a): one step of the torch-harmonics example network with random weights,
// default 181×360 equiangular, 8 → 8 channels, embed 256, 8 layers, scale factor 2 (internal 91×180
// Legendre–Gauss, lmax = mmax = 90), GELU, instance norm, MLP ratio 2, learnable-lat position embedding,
// big skip. Timing only (no PyTorch comparison yet). The checkpoint is written to a temporary file in
// Myriad's format and loaded as a user's would be.
//
//   swift build -c release --product sfno-benchmark
//   OPENBLAS_NUM_THREADS=2 .build/release/sfno-benchmark [NLAT NLON EMBED LAYERS SCALE STEPS] [--precision fp32|bf16|both]
//       [--members B] [--no-peaks]
//
//   .build/release/sfno-benchmark drift CHECKPOINT REFERENCE.h5 [STEPS]   (PrecisionDrift.swift)
//
// --precision both (the default) times the same network with float32 and with bfloat16 GEMMs side by side in
// one run, and measures the GEMM peaks of OpenBLAS sgemm, oneDNN f32 and oneDNN bf16 in the same run, by the
// wall clock and per CPU-second (CPUTimePeaks.swift: on a shared machine the CPU-time figures are the ones to read).
var commandLine = Array(CommandLine.arguments.dropFirst())
if commandLine.first == "drift" {   // accuracy of bf16 instead of timing (PrecisionDrift.swift)
    try precisionDrift(Array(commandLine.dropFirst()))
    exit(0)
}
var precisions: [GEMMPrecision] = [.fp32, .bf16]
if let flag = commandLine.firstIndex(of: "--precision") {
    guard flag + 1 < commandLine.count else { fatalError("--precision needs fp32, bf16 or both") }
    let value = commandLine[flag + 1]
    if value == "both" { precisions = [.fp32, .bf16] } else {
        guard let p = GEMMPrecision(rawValue: value) else { fatalError("--precision: fp32, bf16 or both, got '\(value)'") }
        precisions = [p]
    }
    commandLine.removeSubrange(flag...(flag + 1))
}
// --members B: B members stepped together (`forward(members:count:)`); times are per member-step.
var membersPerForward = 1
if let flag = commandLine.firstIndex(of: "--members") {
    guard flag + 1 < commandLine.count, let b = Int(commandLine[flag + 1]), b >= 1 else { fatalError("--members needs a count ≥ 1") }
    membersPerForward = b
    commandLine.removeSubrange(flag...(flag + 1))
}
// --no-peaks: only the steps (for profiles).
let measurePeaks = !commandLine.contains("--no-peaks")
commandLine.removeAll { $0 == "--no-peaks" }
let arguments = commandLine.compactMap { Int($0) }
func argument(_ i: Int, _ fallback: Int) -> Int { arguments.count > i ? arguments[i] : fallback }
let nlat = argument(0, 181), nlon = argument(1, 360), embed = argument(2, 256), layers = argument(3, 8)
let scale = argument(4, 2), steps = argument(5, 3)
let channels = 8
let hidden = 2 * embed
let h = (nlat - 1) / scale + 1, w = nlon / scale
let modes = min(h, w / 2)

/// Uniform values in [−bound, bound) from Philox, one stream per array.
func random(_ count: Int, bound: Float, stream: UInt64) -> [Float] {
    var generator = CounterRandom(seed: 2024, stream: stream)
    return (0..<count).map { _ in (Float(generator.uniform()) * 2 - 1) * bound }
}

// SFNO_BENCHMARK_CHECKPOINT=PATH keeps the checkpoint there (e.g. for `myriad selftest sfno --checkpoint PATH
// --layout …`, which times the model-parallel step by layout).
let kept = ProcessInfo.processInfo.environment["SFNO_BENCHMARK_CHECKPOINT"]
let path = kept ?? FileManager.default.temporaryDirectory.appendingPathComponent("sfno-benchmark-\(getpid()).h5").path
defer { if kept == nil { try? FileManager.default.removeItem(atPath: path) } }
do {
    let file = try HDF5File.create(path)
    let strings: [(String, String)] = [
        ("format", "myriad-sfno-checkpoint"), ("architecture", "torch-harmonics-sfno"), ("grid", "equiangular"),
        ("grid_internal", "legendre-gauss"), ("activation", "gelu"), ("normalization_layer", "instance_norm"),
        ("operator_type", "driscoll-healy"), ("inner_skip", "none"), ("outer_skip", "identity"),
        ("pos_embed", "learnable lat"), ("normalization", "none"), ("source", "sfno-benchmark (random)"),
        ("converter", "none"),
    ]
    for (name, value) in strings { try file.setAttribute(name, value) }
    let ints: [(String, Int)] = [
        ("format_version", 1), ("lmax", modes), ("mmax", modes), ("in_chans", channels), ("out_chans", channels),
        ("embed_dim", embed), ("num_layers", layers), ("mlp_hidden_dim", hidden), ("use_mlp", 1),
        ("mlp_output_bias", 0), ("mlp_fc2_index", 2), ("spectral_bias", 1), ("encoder_hidden_layers", 0),
        ("decoder_hidden_layers", 0), ("encoder_hidden_dim", 0), ("decoder_hidden_dim", 0), ("encoder_bias", 1),
        ("decoder_bias", 1), ("big_skip", 1), ("dhours", 6), ("n_state_channels", channels), ("add_zenith", 0),
        ("add_grid", 0), ("grid_num_frequencies", 0), ("add_orography", 0), ("add_landmask", 0),
    ]
    for (name, value) in ints { try file.setAttribute(name, Int64(value)) }
    for (name, value) in [("scale_factor", Double(scale)), ("hard_thresholding_fraction", 1.0), ("mlp_ratio", 2.0),
                          ("norm_eps", 1e-6)] {
        try file.setAttribute(name, value)
    }
    try file.setAttribute("inp_shape", [Int64(nlat), Int64(nlon)])
    try file.setAttribute("out_shape", [Int64(nlat), Int64(nlon)])
    try file.setAttribute("internal_shape", [Int64(h), Int64(w)])
    let names = try file.createGroup("channels")
    try names.createStringDataset("in", count: channels).writeStrings((0..<channels).map { String(format: "in%03d", $0) })
    try names.createStringDataset("out", count: channels).writeStrings((0..<channels).map { String(format: "out%03d", $0) })
    try names.createStringDataset("state", count: channels).writeStrings((0..<channels).map { String(format: "out%03d", $0) })
    let grid = try file.createGroup("grid")
    try grid.createDataset("lat", of: Double.self, shape: [nlat]).write((0..<nlat).map { 90 - 180 * Double($0) / Double(nlat - 1) })
    try grid.createDataset("lon", of: Double.self, shape: [nlon]).write((0..<nlon).map { 360 * Double($0) / Double(nlon) })
    let weights = try file.createGroup("weights")
    var stream: UInt64 = 0
    func weight(_ key: String, _ shape: [Int], fanIn: Int) throws {
        stream += 1
        let values = random(shape.reduce(1, *), bound: 1 / Float(fanIn).squareRoot(), stream: stream)
        try weights.createDataset(key, of: Float.self, shape: shape).write(values)
    }
    try weight("encoder.0.weight", [embed, channels, 1, 1], fanIn: channels)
    try weight("encoder.0.bias", [embed], fanIn: channels)
    try weight("pos_embed.position_embeddings", [1, embed, nlat, 1], fanIn: 100)
    for i in 0..<layers {
        try weight("blocks.\(i).global_conv.weight", [embed, embed, modes, 2], fanIn: 2 * embed)
        try weight("blocks.\(i).global_conv.bias", [1, embed, 1, 1], fanIn: 100)
        try weights.createDataset("blocks.\(i).norm.weight", of: Float.self, shape: [embed]).write([Float](repeating: 1, count: embed))
        try weight("blocks.\(i).norm.bias", [embed], fanIn: 100)
        try weight("blocks.\(i).mlp.fwd.0.weight", [hidden, embed, 1, 1], fanIn: embed)
        try weight("blocks.\(i).mlp.fwd.0.bias", [hidden], fanIn: embed)
        try weight("blocks.\(i).mlp.fwd.2.weight", [embed, hidden, 1, 1], fanIn: hidden)
    }
    try weight("decoder.0.weight", [channels, embed, 1, 1], fanIn: embed)
    try weight("decoder.0.bias", [channels], fanIn: embed)
}

/// CPU seconds of this process, all threads (robust to other processes on a shared machine).
func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

// Flops per step, a multiply–add counted as 2 (complex: 8): the 1×1 convolutions as GEMMs; the spectral
// filter per (l, m ≤ l); the Legendre stages with the north/south symmetry (2·nlat per field, degree and
// order, real and imaginary parts) and without the polar cut-off (an upper bound); FFTs and pointwise layers
// not counted.
let modelPoints = Double(nlat * nlon), internalPoints = Double(h * w)
let pairs = Double(modes * (modes + 1) / 2)
let E = Double(embed), H = Double(hidden)
var mlpFlops = 0.0, legendreFlops = 0.0
for i in 0..<layers {
    let inLat = Double(i == 0 ? nlat : h), outLat = Double(i == layers - 1 ? nlat : h)
    mlpFlops += 4 * E * H * (i == layers - 1 ? modelPoints : internalPoints)
    let inverses = (i == 0 || i == layers - 1) && scale != 1 ? 2.0 : 1.0   // the skip path is regridded too
    legendreFlops += 2 * E * pairs * (inLat + inverses * outLat)
}
let filterFlops = 8 * E * E * pairs * Double(layers)
let encoderFlops = 2 * E * Double(2 * channels) * modelPoints
let totalFlops = mlpFlops + filterFlops + legendreFlops + encoderFlops
print(String(format: "flops per step: MLPs %.3g, spectral filters %.3g, Legendre stages %.3g, encoder + decoder %.3g; total %.4g TFLOP",
             mlpFlops, filterFlops, legendreFlops, encoderFlops, totalFlops / 1e12))

let initial = (0..<membersPerForward).flatMap { random(channels * nlat * nlon, bound: 1, stream: 1000 + UInt64($0)) }
var outputs = [GEMMPrecision: [Float]]()
var best = [GEMMPrecision: Double]()
var bestCPU = [GEMMPrecision: Double]()
for precision in precisions {
    let loadStart = Date()
    var checkpoint = try Checkpoint(path: path)
    checkpoint.gemmPrecision = precision
    let model = try TorchHarmonicsSFNO(checkpoint)
    print("torch-harmonics SFNO \(nlat)x\(nlon) equiangular → \(h)x\(w) legendre-gauss, \(channels)→\(channels) ch, embed \(embed), \(layers) layers, lmax \(modes); threads \(RankThreads.count) (\(BLASConfiguration.coreName)); GEMMs in \(precision.rawValue); \(membersPerForward) member(s) per forward; times per member-step")
    print(String(format: "load + plan: %.2f s", Date().timeIntervalSince(loadStart)))
    var state = initial
    var times = [Double]()
    var cpu = [Double]()
    for _ in 0..<steps {
        let start = Date(), startCPU = cpuSeconds()
        if membersPerForward == 1 {
            try model.step(&state, validTime: Date())
        } else {
            state = try model.forward(members: state, count: membersPerForward)   // normalization none: a step
        }
        times.append(Date().timeIntervalSince(start) / Double(membersPerForward))
        cpu.append((cpuSeconds() - startCPU) / Double(membersPerForward))
    }
    print("  step wall times (s): " + times.map { String(format: "%.3f", $0) }.joined(separator: " "))
    print("  step CPU times (s):  " + cpu.map { String(format: "%.3f", $0) }.joined(separator: " "))
    print(String(format: "  best %.3f s wall, %.3f s CPU per step; finite: %@; %.1f GFLOP/s at the best step",
                 times.min()!, cpu.min()!, state.allSatisfy(\.isFinite) ? "yes" : "NO", totalFlops / times.min()! / 1e9))
    outputs[precision] = state
    best[precision] = times.min()!
    bestCPU[precision] = cpu.min()!
}
if let a = outputs[.fp32], let b = outputs[.bf16] {
    var difference = 0.0, norm = 0.0
    for (x, y) in zip(b, a) { difference += (Double(x) - Double(y)) * (Double(x) - Double(y)); norm += Double(y) * Double(y) }
    print(String(format: "bf16 / fp32 time per step: %.3f; relative L2 of the bf16 state after %d steps against fp32: %.2e",
                 best[.bf16]! / best[.fp32]!, steps, (difference / norm).squareRoot()))
}

if !measurePeaks { exit(0) }

// The machine's GEMM peaks with these threads, measured in the same run (best of 3 of a 4096³ product), so
// that the share of peak is not skewed by a noisy machine: OpenBLAS sgemm (what fp32 runs on), oneDNN f32
// (the alternative for fp32) and oneDNN bf16 (what bf16 runs on).
let peak = measuredSGEMMPeak(size: 4096, repeats: 3)
let fp32Best = best[.fp32] ?? best.values.min()!
print(String(format: "sgemm peak %.1f GFLOP/s (OpenBLAS, 4096³, best of 3, %d thread(s)); the fp32 step at %.1f %% of it",
             peak / 1e9, RankThreads.count, 100 * totalFlops / fp32Best / peak))
print(String(format: "oneDNN f32 peak %.1f GFLOP/s (%@)", measuredOneDNNPeak(bf16: false) / 1e9, OneDNNMatmul.version))
let bf16Peak = measuredOneDNNPeak(bf16: true)
print(String(format: "oneDNN bf16 peak %.1f GFLOP/s (%@)%@", bf16Peak / 1e9,
             OneDNNMatmul.implementation(bf16: true, m: 4096, n: 4096 / RankThreads.count, k: 4096),
             best[.bf16].map { String(format: "; the bf16 step at %.1f %% of it", 100 * totalFlops / $0 / bf16Peak) } ?? ""))
// The same peaks per CPU-second of one core (CPUTimePeaks.swift), against the steps' CPU times: the figures to
// read on a shared machine, where the wall-clock ones above measure the load.
let cpuPeaks = Dictionary(uniqueKeysWithValues: CPUTimePeak.allCases.map { ($0, $0.measure()) })
for kind in CPUTimePeak.allCases {
    let step: GEMMPrecision = kind == .oneDNNBF16 ? .bf16 : .fp32
    print(String(format: "%@ peak %.1f GFLOP per CPU-second (one core, 4096³, best of 3)%@", kind.rawValue, cpuPeaks[kind]! / 1e9,
                 kind == .oneDNNF32 ? "" : bestCPU[step].map { String(format: "; the %@ step at %.1f %% of it (CPU time)", step.rawValue,
                                                                        100 * totalFlops / $0 / cpuPeaks[kind]!) } ?? ""))
}
