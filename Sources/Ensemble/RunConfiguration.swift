import Foundation
import Kernels
import MPI
import Yams

/// What `myriad run` does, read from a YAML file (docs/configuration.md documents every key with its
/// default). Reading checks types, ranges and unknown keys and reports every problem at once; checks that
/// need files (checkpoints, initial conditions) are the plan's (`EnsemblePlan`).
public struct RunConfiguration: Sendable {
    public enum ModelKind: String, Sendable, CaseIterable { case sfno, shallowWater = "shallow-water" }

    /// Where initial states come from: one makani-layout file (with data.json beside it), or a folder of
    /// yearly files `YYYY.h5` whose time index i is `YYYY-01-01T00:00 + i·dhours` (makani's convention).
    public struct InitialConditions: Sendable {
        public var file: String?
        public var directory: String?
        /// Hours between the times of the files (default: data.json's dhours, else the model step).
        public var dhours: Int?
        public var times: [Date]
        /// Time indices of `file`, an alternative to times for files without start_time.
        public var indices: [Int]
        /// An imperfect analysis made from the file's true states (an OSSE): nil, the states as they are.
        public var analysisError: AnalysisErrorSettings?
    }

    /// `calibration`: what `myriad calibrate` runs on and aims at (docs/perturbations.md).
    public struct CalibrationSettings: Sendable {
        /// Initial times of the calibration runs (not the verified ones).
        public var times: [Date] = []
        /// Leads whose spread–skill is averaged (default: every output lead after 0).
        public var leadHours: [Int] = []
        /// Variables whose spread–skill is averaged (default: the output variables).
        public var variables: [String] = []
        /// |mean spread–skill − 1| at which the search stops.
        public var tolerance: Double = 0.03
        /// Most runs of the search.
        public var maxRuns: Int = 8
        /// Bred vectors: after the amplitude, scale each verified variable's `target_rmse` so that its own
        /// mean spread–skill is 1 (one amplitude leaves the variables' ratios as `target_rmse` set them).
        public var perVariable: Bool = false
    }

    /// `initial_conditions.analysis_error`: analysis = state read + a correlated spherical error field per
    /// channel with the given area-weighted RMS (physical units), the same for every member (`AnalysisError`).
    public struct AnalysisErrorSettings: Sendable {
        public var rmse: [String: Double] = [:]
        public var lengthScaleKm: Double = 500
    }

    public enum PerturbationKind: String, Sendable, CaseIterable {
        case none, gaussian, sphericalGaussian = "spherical-gaussian", bredVector = "bred-vector"
    }

    public struct Perturbation: Sendable {
        public var kind: PerturbationKind = .none
        /// gaussian / spherical-gaussian: σ in units of each channel's normalisation standard deviation;
        /// bred-vector: the factor of the target RMSE (HENS: 0.35).
        public var amplitude: Double?
        /// bred-vector: RMSE of a reference forecast at 48 h per channel (physical units).
        public var targetRMSE: [String: Double] = [:]
        public var seededVariables: [String] = ["z500"]
        public var integrationSteps: Int = 3
        public var lengthScaleKm: Double = 500
        public var timeScaleHours: Double = 48
        /// Channels clipped at 0 after perturbing (HENS: specific humidities and tcwv).
        public var nonNegative: [String]?
        /// Members come in ± pairs about the unperturbed state (default: on for bred vectors).
        public var centredPairs: Bool?

        public var effectiveAmplitude: Double { amplitude ?? (kind == .bredVector ? 0.35 : 0.05) }
        public var effectiveCentredPairs: Bool { centredPairs ?? (kind == .bredVector) }
    }

    public struct Output: Sendable {
        public var directory: String = "out/run"
        public var members: Bool = true
        /// Variables written (default: every state channel).
        public var variables: [String]?
        /// Latitude and longitude bounds of the written region, degrees (inclusive).
        public var latitudeRange: ClosedRange<Double>?
        public var longitudeRange: ClosedRange<Double>?
        /// Lead times written, hours (default: every step, 0 included).
        public var leadHours: [Int]?
        /// Deflate level 0 … 9 (0: none).
        public var compression: Int = 0
        /// Derived variables computed from the state and written, reduced and scored after `variables`
        /// (`DerivedVariable`: ws10m, ivt, heat_index, r2m, r850, …).
        public var derived: [String] = []
    }

    public struct StatisticsOptions: Sendable {
        public var enabled: Bool = true
        /// Truth in the makani layout (with data.json), for scores; nil: statistics only.
        public var truth: String?
        public var thresholds: [String: [Double]] = [:]
        public var quantiles: [Double] = []
        public var kSigma: Double = 4
        public var spectra: Bool = true
        /// The extreme forecast index against a model climate file (`myriad climate`); nil: no EFI.
        public var efi: EFIOptions?
    }

    /// `statistics.efi`: the model climate of the extreme forecast index.
    public struct EFIOptions: Sendable {
        /// The climate file (`myriad climate` writes it; docs/statistics.md, "EFI").
        public var climate: String
        /// earthkit-meteo's eps: ≤ 0 the plain EFI, > 0 the variant for fields bounded below by 0.
        public var eps: Double = -0.1
    }

    public var file: String
    /// The YAML text as read (its hash is the restart records' fingerprint).
    public var source: String
    public var model: ModelKind = .sfno
    public var checkpoints: [String] = []
    public var initialConditions: InitialConditions
    public var leadHours: Int = 120
    public var membersPerCheckpoint: Int = 16
    /// HENS's unperturbed member: member 0 of checkpoint 0 at each initial time.
    public var control: Bool = false
    public var perturbation = Perturbation()
    public var seed: UInt64 = 0
    public var layout = ModelLayout()
    /// `myriad calibrate`'s settings; nil where the configuration has no calibration section.
    public var calibration: CalibrationSettings?
    public var output = Output()
    public var statistics = StatisticsOptions()
    /// Steps between restart records (0: none).
    public var restartEvery: Int = 1
    /// Seconds between progress log lines when standard error is not a terminal.
    public var progressSeconds: Double = 30
    /// The precision of the networks' 1×1 convolutions (SFNO models; `Checkpoint.gemmPrecision`).
    public var precision: GEMMPrecision = .fp32
    /// Members per forward pass of a network (`compute.members_per_forward`); 0: chosen from the memory per
    /// rank (`EnsemblePlan.membersPerForward`).
    public var membersPerForward: Int = 0

    /// The keys of each mapping of the configuration, by key path ("" is the top level): what the reader
    /// accepts, and what docs/configuration.md documents (a test holds the two together).
    public static let keys: [String: [String]] = [
        "": ["model", "checkpoints", "initial_conditions", "lead_hours", "members", "control", "perturbation", "seed",
             "parallel", "output", "statistics", "restart", "progress", "compute", "calibration"],
        "calibration": ["times", "lead_hours", "variables", "tolerance", "max_runs", "per_variable"],
        "initial_conditions": ["file", "directory", "dhours", "times", "range", "indices", "analysis_error"],
        "initial_conditions.analysis_error": ["rmse", "length_scale_km"],
        "initial_conditions.range": ["start", "end", "step_hours"],
        "perturbation": ["kind", "amplitude", "target_rmse", "seeded_variables", "integration_steps", "length_scale_km",
                         "time_scale_hours", "non_negative", "centred_pairs"],
        "parallel": ["h", "w", "channel"],
        "output": ["directory", "members", "variables", "derived", "region", "lead_hours", "compression"],
        "output.region": ["lat", "lon"],
        "statistics": ["enabled", "truth", "thresholds", "quantiles", "k_sigma", "spectra", "efi"],
        "statistics.efi": ["climate", "eps"],
        "restart": ["every_steps"],
        "progress": ["log_every_seconds"],
        "compute": ["precision", "members_per_forward"],
    ]

    /// Every key path, e.g. `perturbation.amplitude`.
    public static var allKeyPaths: [String] {
        keys.flatMap { section, names in names.map { section.isEmpty ? $0 : "\(section).\($0)" } }.sorted()
    }

    /// Reads and checks `yaml` (the contents of `file`). Relative paths are taken relative to the working
    /// directory, as on the command line.
    public init(yaml: String, file: String) throws {
        self.file = file
        source = yaml
        initialConditions = InitialConditions(times: [], indices: [])
        let document: Node?
        do {
            document = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationError(file: file, problems: [ConfigurationProblem(keyPath: "", line: nil,
                                                                                 message: "not valid YAML: \(error)")])
        }
        let reader = ConfigurationReader()
        let top = reader.mapping(document, path: "", known: Self.keys[""]!)
        read(top, reader)
        if reader.problems.isEmpty { validate(reader) }
        guard reader.problems.isEmpty else { throw ConfigurationError(file: file, problems: reader.problems) }
    }

    /// Reads the file at `path`.
    public init(contentsOf path: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: path, problems: [ConfigurationProblem(
                keyPath: "", line: nil, message: "cannot be read (\(error.localizedDescription)); give the path of a YAML run configuration")])
        }
        try self.init(yaml: text, file: path)
    }

    // MARK: - Reading

    private mutating func read(_ top: [String: Node], _ r: ConfigurationReader) {
        if let text = r.string(top["model"], path: "model") {
            if let kind = ModelKind(rawValue: text) { model = kind } else {
                r.problem("model", top["model"], "must be one of \(ModelKind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
            }
        }
        checkpoints = r.strings(top["checkpoints"], path: "checkpoints") ?? []
        leadHours = r.int(top["lead_hours"], path: "lead_hours", range: 1...100_000) ?? leadHours
        membersPerCheckpoint = r.int(top["members"], path: "members", range: 1...1_000_000) ?? membersPerCheckpoint
        control = r.bool(top["control"], path: "control") ?? control
        if let node = top["seed"] {
            if let value = node.int, value >= 0 { seed = UInt64(value) } else {
                r.problem("seed", node, "must be a non-negative integer, got '\(node.scalar?.string ?? "a collection")'")
            }
        }
        readInitialConditions(r.mapping(top["initial_conditions"], path: "initial_conditions",
                                        known: Self.keys["initial_conditions"]!), r)
        readPerturbation(r.mapping(top["perturbation"], path: "perturbation",
                                   known: Self.keys["perturbation"]!), r)
        let parallel = r.mapping(top["parallel"], path: "parallel", known: Self.keys["parallel"]!)
        layout = ModelLayout(h: r.int(parallel["h"], path: "parallel.h", range: 1...4096) ?? 1,
                             w: r.int(parallel["w"], path: "parallel.w", range: 1...4096) ?? 1,
                             channel: r.int(parallel["channel"], path: "parallel.channel", range: 1...4096) ?? 1)
        readOutput(r.mapping(top["output"], path: "output",
                             known: Self.keys["output"]!), r)
        readStatistics(r.mapping(top["statistics"], path: "statistics",
                                 known: Self.keys["statistics"]!), r)
        if let node = top["calibration"] { readCalibration(r.mapping(node, path: "calibration", known: Self.keys["calibration"]!), node, r) }
        let restart = r.mapping(top["restart"], path: "restart", known: Self.keys["restart"]!)
        restartEvery = r.int(restart["every_steps"], path: "restart.every_steps", range: 0...1_000_000) ?? restartEvery
        let progress = r.mapping(top["progress"], path: "progress", known: Self.keys["progress"]!)
        progressSeconds = r.double(progress["log_every_seconds"], path: "progress.log_every_seconds", positive: true) ?? progressSeconds
        let compute = r.mapping(top["compute"], path: "compute", known: Self.keys["compute"]!)
        if let text = r.string(compute["precision"], path: "compute.precision") {
            if let value = GEMMPrecision(rawValue: text) { precision = value } else {
                r.problem("compute.precision", compute["precision"],
                          "must be one of \(GEMMPrecision.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
            }
        }
        membersPerForward = r.int(compute["members_per_forward"], path: "compute.members_per_forward", range: 0...100_000) ?? membersPerForward
    }

    private mutating func readInitialConditions(_ keys: [String: Node], _ r: ConfigurationReader) {
        let path = "initial_conditions"
        initialConditions.file = r.string(keys["file"], path: "\(path).file")
        initialConditions.directory = r.string(keys["directory"], path: "\(path).directory")
        initialConditions.dhours = r.int(keys["dhours"], path: "\(path).dhours", range: 1...8760)
        var times = (r.list(keys["times"], path: "\(path).times") ?? []).compactMap { r.time($0.node, path: $0.path) }
        if let rangeNode = keys["range"] {
            let range = r.mapping(rangeNode, path: "\(path).range", known: Self.keys["initial_conditions.range"]!)
            let start = r.time(range["start"], path: "\(path).range.start")
            let end = r.time(range["end"], path: "\(path).range.end")
            let step = r.int(range["step_hours"], path: "\(path).range.step_hours", range: 1...100_000)
            if range["start"] == nil || range["end"] == nil || range["step_hours"] == nil {
                r.problem("\(path).range", rangeNode, "needs start, end and step_hours")
            } else if let start, let end, let step {
                if end < start {
                    r.problem("\(path).range", rangeNode, "end is before start")
                } else {
                    var t = start
                    while t <= end {
                        times.append(t)
                        t = t.addingTimeInterval(Double(step) * 3600)
                    }
                }
            }
        }
        initialConditions.times = times
        initialConditions.indices = (r.list(keys["indices"], path: "\(path).indices") ?? [])
            .compactMap { r.int($0.node, path: $0.path, range: 0...Int(Int32.max)) }
        if let node = keys["analysis_error"] {
            let error = r.mapping(node, path: "\(path).analysis_error", known: Self.keys["initial_conditions.analysis_error"]!)
            var settings = AnalysisErrorSettings()
            for (name, values) in (r.namedDoubles(error["rmse"], path: "\(path).analysis_error.rmse") ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard values.count == 1, values[0] >= 0 else {
                    r.problem("\(path).analysis_error.rmse.\(name)", error["rmse"], "must be one non-negative number")
                    continue
                }
                settings.rmse[name] = values[0]
            }
            if settings.rmse.isEmpty {
                r.problem("\(path).analysis_error.rmse", node, "names the RMS error of at least one channel, e.g. {height: 7.0}")
            }
            settings.lengthScaleKm = r.double(error["length_scale_km"], path: "\(path).analysis_error.length_scale_km",
                                              positive: true) ?? settings.lengthScaleKm
            initialConditions.analysisError = settings
        }
    }

    private mutating func readCalibration(_ keys: [String: Node], _ node: Node, _ r: ConfigurationReader) {
        var settings = CalibrationSettings()
        settings.times = (r.list(keys["times"], path: "calibration.times") ?? []).compactMap { r.time($0.node, path: $0.path) }
        if settings.times.isEmpty { r.problem("calibration.times", node, "names the initial times to calibrate on (not the verified ones)") }
        settings.leadHours = (r.list(keys["lead_hours"], path: "calibration.lead_hours") ?? [])
            .compactMap { r.int($0.node, path: $0.path, range: 1...100_000) }
        settings.variables = r.strings(keys["variables"], path: "calibration.variables") ?? []
        if let tolerance = r.double(keys["tolerance"], path: "calibration.tolerance", positive: true) { settings.tolerance = tolerance }
        settings.maxRuns = r.int(keys["max_runs"], path: "calibration.max_runs", range: 2...100) ?? settings.maxRuns
        settings.perVariable = r.bool(keys["per_variable"], path: "calibration.per_variable") ?? settings.perVariable
        calibration = settings
    }

    private mutating func readPerturbation(_ keys: [String: Node], _ r: ConfigurationReader) {
        let path = "perturbation"
        if let text = r.string(keys["kind"], path: "\(path).kind") {
            if let kind = PerturbationKind(rawValue: text) { perturbation.kind = kind } else {
                r.problem("\(path).kind", keys["kind"], "must be one of \(PerturbationKind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
            }
        }
        perturbation.amplitude = r.double(keys["amplitude"], path: "\(path).amplitude", positive: true)
        if let targets = r.namedDoubles(keys["target_rmse"], path: "\(path).target_rmse") {
            for (name, values) in targets {
                guard values.count == 1, values[0] >= 0 else {
                    r.problem("\(path).target_rmse.\(name)", keys["target_rmse"], "must be one non-negative number")
                    continue
                }
                perturbation.targetRMSE[name] = values[0]
            }
        }
        perturbation.seededVariables = r.strings(keys["seeded_variables"], path: "\(path).seeded_variables") ?? perturbation.seededVariables
        perturbation.integrationSteps = r.int(keys["integration_steps"], path: "\(path).integration_steps", range: 1...1000) ?? perturbation.integrationSteps
        perturbation.lengthScaleKm = r.double(keys["length_scale_km"], path: "\(path).length_scale_km", positive: true) ?? perturbation.lengthScaleKm
        perturbation.timeScaleHours = r.double(keys["time_scale_hours"], path: "\(path).time_scale_hours", positive: true) ?? perturbation.timeScaleHours
        perturbation.nonNegative = r.strings(keys["non_negative"], path: "\(path).non_negative")
        perturbation.centredPairs = r.bool(keys["centred_pairs"], path: "\(path).centred_pairs")
    }

    private mutating func readOutput(_ keys: [String: Node], _ r: ConfigurationReader) {
        let path = "output"
        output.directory = r.string(keys["directory"], path: "\(path).directory") ?? output.directory
        output.members = r.bool(keys["members"], path: "\(path).members") ?? output.members
        output.variables = r.strings(keys["variables"], path: "\(path).variables")
        output.derived = r.strings(keys["derived"], path: "\(path).derived") ?? []
        if Set(output.derived).count != output.derived.count {
            r.problem("\(path).derived", keys["derived"], "lists a derived variable twice")
        }
        if let regionNode = keys["region"] {
            let region = r.mapping(regionNode, path: "\(path).region", known: Self.keys["output.region"]!)
            func bounds(_ key: String, _ limits: ClosedRange<Double>) -> ClosedRange<Double>? {
                guard let node = region[key] else { return nil }
                guard let values = r.doubles(node, path: "\(path).region.\(key)") else { return nil }
                guard values.count == 2, values[0] <= values[1], limits.contains(values[0]), limits.contains(values[1]) else {
                    r.problem("\(path).region.\(key)", node, "must be [low, high] degrees within \(limits.lowerBound) … \(limits.upperBound), got \(values)")
                    return nil
                }
                return values[0]...values[1]
            }
            output.latitudeRange = bounds("lat", -90...90)
            output.longitudeRange = bounds("lon", 0...360)
        }
        if let items = r.list(keys["lead_hours"], path: "\(path).lead_hours") {
            output.leadHours = items.compactMap { r.int($0.node, path: $0.path, range: 0...100_000) }
        }
        output.compression = r.int(keys["compression"], path: "\(path).compression", range: 0...9) ?? output.compression
    }

    private mutating func readStatistics(_ keys: [String: Node], _ r: ConfigurationReader) {
        let path = "statistics"
        statistics.enabled = r.bool(keys["enabled"], path: "\(path).enabled") ?? statistics.enabled
        statistics.truth = r.string(keys["truth"], path: "\(path).truth")
        statistics.thresholds = r.namedDoubles(keys["thresholds"], path: "\(path).thresholds") ?? [:]
        statistics.quantiles = r.doubles(keys["quantiles"], path: "\(path).quantiles") ?? []
        for (i, q) in statistics.quantiles.enumerated() where !(q > 0 && q < 1) {
            r.problem("\(path).quantiles[\(i)]", keys["quantiles"], "quantile levels lie strictly between 0 and 1, got \(q)")
        }
        statistics.kSigma = r.double(keys["k_sigma"], path: "\(path).k_sigma", positive: true) ?? statistics.kSigma
        statistics.spectra = r.bool(keys["spectra"], path: "\(path).spectra") ?? statistics.spectra
        if let node = keys["efi"] {
            let efi = r.mapping(node, path: "\(path).efi", known: Self.keys["statistics.efi"]!)
            if let climate = r.string(efi["climate"], path: "\(path).efi.climate") {
                var options = EFIOptions(climate: climate)
                options.eps = r.double(efi["eps"], path: "\(path).efi.eps") ?? options.eps
                statistics.efi = options
            } else if efi["climate"] == nil {
                r.problem("\(path).efi.climate", node, "names the model climate file (made by myriad climate)")
            }
        }
    }

    // MARK: - Checks between keys

    private func validate(_ r: ConfigurationReader) {
        switch model {
        case .sfno where checkpoints.isEmpty:
            r.problem("checkpoints", nil, "an sfno run needs at least one checkpoint (.h5 from tools/convert_checkpoint.py)")
        case .shallowWater where !checkpoints.isEmpty:
            r.problem("checkpoints", nil, "a shallow-water run has no checkpoints; remove the key or use model: sfno")
        default: break
        }
        if Set(checkpoints).count != checkpoints.count {
            r.problem("checkpoints", nil, "lists a checkpoint twice; each checkpoint is one model perturbation")
        }
        let ic = initialConditions
        switch (ic.file, ic.directory) {
        case (nil, nil): r.problem("initial_conditions", nil, "needs file (one makani-layout file) or directory (yearly YYYY.h5 files)")
        case (.some, .some): r.problem("initial_conditions", nil, "give file or directory, not both")
        default: break
        }
        if ic.times.isEmpty && ic.indices.isEmpty {
            r.problem("initial_conditions", nil, "needs the initial times: times (a list), range (start, end, step_hours) or, for a file, indices")
        }
        if !ic.times.isEmpty && !ic.indices.isEmpty {
            r.problem("initial_conditions", nil, "give times/range or indices, not both")
        }
        if ic.directory != nil && !ic.indices.isEmpty {
            r.problem("initial_conditions.indices", nil, "a directory of yearly files is addressed by times, not indices")
        }
        if Set(ic.times).count != ic.times.count || Set(ic.indices).count != ic.indices.count {
            r.problem("initial_conditions", nil, "lists an initial time twice")
        }
        if perturbation.kind == .bredVector && perturbation.targetRMSE.isEmpty {
            r.problem("perturbation.target_rmse", nil, "bred vectors need the RMSE at 48 h of a reference forecast per channel (HENS: T = amplitude × RMSE)")
        }
        if perturbation.kind == .none && membersPerCheckpoint > 1 {
            r.problem("members", nil, "\(membersPerCheckpoint) members per checkpoint without a perturbation would be identical; set perturbation.kind or members: 1")
        }
        if perturbation.effectiveCentredPairs && perturbation.kind != .none && membersPerCheckpoint % 2 != 0 {
            r.problem("members", nil, "centred pairs need an even number of members per checkpoint, got \(membersPerCheckpoint)")
        }
        if let leads = output.leadHours {
            if let bad = leads.first(where: { $0 > leadHours }) {
                r.problem("output.lead_hours", nil, "lead time \(bad) h is beyond lead_hours \(leadHours)")
            }
            if Set(leads).count != leads.count { r.problem("output.lead_hours", nil, "lists a lead time twice") }
        }
        if output.compression > 0 && !output.members {
            r.problem("output.compression", nil, "applies to member output, which is off (output.members: false)")
        }
        if statistics.efi != nil && !statistics.enabled {
            r.problem("statistics.efi", nil, "the EFI is a statistic, which is off (statistics.enabled: false)")
        }
        if !output.members && !statistics.enabled {
            r.problem("output", nil, "neither member output nor statistics: the run would produce nothing")
        }
    }
}
