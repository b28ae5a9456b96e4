import Foundation

/// results.csv: a header row (`EvaluationRecord.columns`), then one row per image × SNR × mode. Numbers are
/// written with up to 6 significant digits; an empty field is a figure that does not apply (NaN).
public enum ResultsTable {
    public static func csv(_ records: [EvaluationRecord]) -> String {
        var lines = [EvaluationRecord.columns.joined(separator: ",")]
        for r in records {
            var fields = [
                r.mode.rawValue, quoted(r.image), String(r.seed), number(r.snrDB), quoted(r.budget), quoted(r.mcs),
                quoted(r.scheme),
            ]
            fields += EvaluationRecord.metricColumns.map { number(r.metric($0)) }
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A number as CSV text: empty for NaN, `inf` for an infinite PSNR.
    public static func number(_ x: Double) -> String {
        if x.isNaN { return "" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        return String(format: "%.6g", x)
    }

    static func quoted(_ s: String) -> String {
        s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// Parses results.csv back into columns → values per row (numbers; NaN for empty fields), for tests and
    /// tools. Text columns (mode, scene, budget, mcs, scheme) come back in `text`.
    public static func parse(_ csv: String) throws(EvaluationError) -> [(
        text: [String: String], numbers: [String: Double]
    )] {
        let lines = csv.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init) else {
            throw EvaluationError("results.csv is empty")
        }
        var rows: [(text: [String: String], numbers: [String: Double])] = []
        for line in lines.dropFirst() {
            let fields = splitFields(line)
            guard fields.count == header.count else {
                throw EvaluationError("results.csv row has \(fields.count) fields, header has \(header.count): \(line)")
            }
            var text: [String: String] = [:], numbers: [String: Double] = [:]
            for (name, field) in zip(header, fields) {
                text[name] = field
                numbers[name] = field.isEmpty ? .nan : (field == "inf" ? .infinity : Double(field) ?? .nan)
            }
            rows.append((text, numbers))
        }
        return rows
    }

    private static func splitFields(_ line: String) -> [String] {
        var fields: [String] = [], current = "", inQuotes = false
        var chars = Array(line)[...]
        while let c = chars.popFirst() {
            if inQuotes {
                if c == "\"" {
                    if chars.first == "\"" {
                        current.append("\"")
                        chars.removeFirst()
                    } else {
                        inQuotes = false
                    }
                } else {
                    current.append(c)
                }
            } else if c == "\"" {
                inQuotes = true
            } else if c == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        fields.append(current)
        return fields
    }
}
