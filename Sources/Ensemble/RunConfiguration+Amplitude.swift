import Foundation

extension RunConfiguration {
    /// The YAML text `yaml` with `perturbation.amplitude` set to `amplitude`, everything else (comments,
    /// order, layout) as written: the value replaced where the key is, else the key added to the block or
    /// flow mapping of `perturbation`. The result is read back and checked.
    public static func settingAmplitude(_ amplitude: Double, in yaml: String, file: String) throws -> String {
        let value = String(format: "%.4g", amplitude)
        var lines = yaml.components(separatedBy: "\n")
        guard let top = lines.firstIndex(where: { $0.hasPrefix("perturbation:") }) else {
            throw RunError("\(file): no top-level perturbation: block whose amplitude could be set")
        }
        let head = lines[top]
        if let open = head.firstIndex(of: "{") {
            if let range = head.range(of: #"amplitude:\s*[^,}]+"#, options: .regularExpression) {
                lines[top].replaceSubrange(range, with: "amplitude: \(value)")
            } else {
                lines[top].insert(contentsOf: "amplitude: \(value), ", at: head.index(after: open))
            }
        } else {
            var end = top + 1
            while end < lines.count, lines[end].isEmpty || lines[end].hasPrefix(" ") || lines[end].hasPrefix("#") { end += 1 }
            let block = (top + 1)..<end
            if let k = block.first(where: { lines[$0].range(of: #"^\s+amplitude:"#, options: .regularExpression) != nil }) {
                let line = lines[k]
                let indent = line.prefix { $0 == " " }
                let comment = line.range(of: " #").map { String(line[$0.lowerBound...]) } ?? ""
                lines[k] = "\(indent)amplitude: \(value)\(comment)"
            } else {
                let indent = block.lazy.map { lines[$0] }.first { $0.hasPrefix(" ") }.map { String($0.prefix { $0 == " " }) } ?? "  "
                lines.insert("\(indent)amplitude: \(value)", at: top + 1)
            }
        }
        let text = lines.joined(separator: "\n")
        let check = try RunConfiguration(yaml: text, file: file)
        guard abs(check.perturbation.effectiveAmplitude - (Double(value) ?? .nan)) <= 1e-12 * amplitude else {
            throw RunError("\(file): setting perturbation.amplitude to \(value) did not take (read back \(check.perturbation.effectiveAmplitude)); set it by hand")
        }
        return text
    }

    /// The YAML text `yaml` with `perturbation.target_rmse` replaced by `targets` (a flow mapping in the input's
    /// order of names, on the key's line; a block mapping under the key is replaced by it), everything else as
    /// written. The result is read back and checked.
    public static func settingTargetRMSE(_ targets: [String: Double], in yaml: String, file: String) throws -> String {
        var lines = yaml.components(separatedBy: "\n")
        guard let top = lines.firstIndex(where: { $0.hasPrefix("perturbation:") }), !lines[top].contains("{") else {
            throw RunError("\(file): target_rmse can be set only in a block-style perturbation: section; set it by hand")
        }
        var end = top + 1
        while end < lines.count, lines[end].isEmpty || lines[end].hasPrefix(" ") || lines[end].hasPrefix("#") { end += 1 }
        guard let k = ((top + 1)..<end).first(where: { lines[$0].range(of: #"^\s+target_rmse:"#, options: .regularExpression) != nil }) else {
            throw RunError("\(file): perturbation has no target_rmse to set")
        }
        let line = lines[k]
        let indent = line.prefix { $0 == " " }
        // The names in the order written, then any others.
        let written = (try RunConfiguration(yaml: yaml, file: file)).perturbation.targetRMSE
        let textAfterKey = lines[k...].joined(separator: "\n")
        let order = written.keys.sorted { (textAfterKey.range(of: $0)?.lowerBound ?? textAfterKey.endIndex) < (textAfterKey.range(of: $1)?.lowerBound ?? textAfterKey.endIndex) }
        let names = order + targets.keys.filter { !order.contains($0) }.sorted()
        let mapping = names.compactMap { name in targets[name].map { "\(name): \(String(format: "%.4g", $0))" } }.joined(separator: ", ")
        var last = k + 1
        if line.range(of: #"target_rmse:\s*(#.*)?$"#, options: .regularExpression) != nil {
            while last < end, lines[last].prefix(while: { $0 == " " }).count > indent.count || lines[last].isEmpty { last += 1 }
        }
        lines.replaceSubrange(k..<last, with: ["\(indent)target_rmse: {\(mapping)}"])
        let text = lines.joined(separator: "\n")
        let check = try RunConfiguration(yaml: text, file: file)
        for (name, value) in targets where abs((check.perturbation.targetRMSE[name] ?? .nan) - (Double(String(format: "%.4g", value)) ?? .nan)) > 1e-12 * abs(value) {
            throw RunError("\(file): setting perturbation.target_rmse.\(name) to \(value) did not take; set it by hand")
        }
        return text
    }
}
