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
}
