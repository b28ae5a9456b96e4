import Foundation

/// What is sent for each image in a sweep.
public enum TransmissionMode: String, Sendable, CaseIterable, Codable {
    /// GESCO: the one-hot map of the present classes as analog symbols; the receiver decides (FDS when noisy)
    /// and the diffusion generator regenerates the image.
    case analog
    /// The zlib-compressed map over the digital physical layer (modulation and code per SNR, CRC, ARQ), then
    /// the generator. A frame still corrupt after the retries is lost: no image.
    case digital
    /// The classical baseline: the image itself as JPEG over the same physical layer, decoded; lost below the
    /// cliff.
    case classical
    /// The classical analog baseline of GESCO's figure: the image's pixels (scaled to 0…1) as analog symbols
    /// with the same channel noise, shown as received.
    case classicalAnalog = "classical-analog"

    /// Whether the receiver regenerates the image with the diffusion model.
    public var isSemantic: Bool { self == .analog || self == .digital }

    /// Whether the mode crosses the digital physical layer (and can lose frames).
    public var isDigital: Bool { self == .digital || self == .classical }

    /// Parses `analog,digital,classical,classical-analog` (or `all`).
    public static func parseList(_ text: String) throws(EvaluationError) -> [TransmissionMode] {
        if text == "all" { return allCases }
        var modes: [TransmissionMode] = []
        for part in text.split(separator: ",") {
            guard let mode = TransmissionMode(rawValue: part.trimmingCharacters(in: .whitespaces)) else {
                throw EvaluationError(
                    "unknown mode '\(part)'; use a comma-separated list of analog, digital, classical, classical-analog "
                        + "(or all)")
            }
            if !modes.contains(mode) { modes.append(mode) }
        }
        guard !modes.isEmpty else { throw EvaluationError("--mode needs at least one mode") }
        return modes
    }
}
