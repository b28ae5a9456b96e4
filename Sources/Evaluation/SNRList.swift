import Foundation

/// The SNR points of a sweep, from `0,5,10` (a list) or `0:25:5` (start:stop:step, stop included).
public enum SNRList {
    /// A folder-safe label of an SNR point: `snr10`, `snr-5`, `snr2.5`.
    public static func label(_ dB: Double) -> String {
        dB == dB.rounded() ? "snr\(Int(dB))" : "snr\(dB)"
    }

    public static func parse(_ text: String) throws(EvaluationError) -> [Double] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.contains(":") {
            let parts = trimmed.split(separator: ":", omittingEmptySubsequences: false).map { Double($0) }
            guard parts.count == 3, let start = parts[0], let stop = parts[1], let step = parts[2], step > 0,
                stop >= start, start.isFinite, stop.isFinite
            else {
                throw EvaluationError(
                    "SNR range '\(text)' must be START:STOP:STEP with STEP > 0 and STOP ≥ START, e.g. 0:25:5")
            }
            let count = Int(((stop - start) / step + 1e-9).rounded(.down)) + 1
            guard count <= 1000 else { throw EvaluationError("SNR range '\(text)' has \(count) points; at most 1000") }
            return (0..<count).map { start + Double($0) * step }
        }
        let values = trimmed.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0?.isFinite == true }) else {
            throw EvaluationError(
                "SNR list '\(text)' must be numbers in dB separated by commas (0,5,10) or a range 0:25:5")
        }
        return values.map { $0! }
    }
}
