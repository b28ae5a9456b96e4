import Foundation
import ImageCodecs

/// What is sent for each image in a sweep (names fixed: results.csv, the report and tests rely on them).
public enum TransmissionMode: String, Sendable, CaseIterable, Codable {
    /// GESCO: the one-hot map of the present classes as analog symbols; the receiver decides (FDS when noisy)
    /// and the diffusion generator regenerates the image. Under a budget: the smallest downsample of 1, 2, 4, 8
    /// whose symbols fit.
    case analog
    /// The zlib-compressed map over the digital physical layer, then the generator. Without a budget: MCS per
    /// SNR, CRC, ARQ; under a budget: one transmission per MCS that fits, and the envelope.
    case digital
    /// As `digital`, the map coded by the context model with its learned prior (`MapCoding`, protocol 2's
    /// encoding 3) instead of zlib — zlib still where it is smaller.
    case digitalContext = "digital-context"
    /// Classical codecs over the same physical layer (`ImageCodecs`), decoded; the fallback image when lost.
    case jpeg, jpeg444, jpeg2000, webp, avif, hevc
    /// The classical analog baseline of GESCO's figure: the image's pixels (scaled to 0…1) as analog symbols
    /// with the same channel noise, shown as received; under a budget downsampled to fit and upsampled.
    case classicalAnalog = "classical-analog"
    /// SoftCast (`SoftCast`): the image's DCT chunks that fit the budget as analog symbols, LLSE-decoded; their
    /// variances sent digitally inside the budget.
    case softcast
    /// Beyond GESCO: the context-coded map over the physical layer and a SoftCast layer in the rest of the
    /// budget; the map-conditioned generator starts from the layer's estimate at the step its noise matches.
    case hybrid
    /// The capacity bound of any separate source/channel design: ⌊k·log2(1+SNR)⌋ bits delivered without error
    /// to the best codec at that size (only under a budget).
    case separationBound = "separation-bound"

    /// Whether the receiver regenerates the image with the diffusion model.
    /// Whether the mode context-codes the map with the shipped prior (`digital-context`, and the hybrid's map
    /// part): a sweep with one of them loads the prior.
    public var codesMapWithPrior: Bool { self == .digitalContext || self == .hybrid }

    public var isSemantic: Bool { self == .analog || isDigitalMap || self == .hybrid }

    /// Whether the mode sends the label map digitally (either coding).
    public var isDigitalMap: Bool { self == .digital || self == .digitalContext }

    /// Whether the mode crosses the digital physical layer (and can lose frames).
    public var isDigital: Bool { isDigitalMap || codec != nil || self == .hybrid }

    /// The classical codec this mode sends, if any.
    public var codec: (any ImageCodec)? { ImageCodecs.named(rawValue) }

    /// Parses a comma-separated list of mode names (`classical` is `jpeg`), or `all`.
    public static func parseList(_ text: String) throws(EvaluationError) -> [TransmissionMode] {
        if text == "all" { return allCases }
        var modes: [TransmissionMode] = []
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let mode = name == "classical" ? .jpeg : TransmissionMode(rawValue: name) else {
                throw EvaluationError(
                    "unknown mode '\(part)'; use a comma-separated list of "
                        + allCases.map(\.rawValue).joined(separator: ", ") + " (classical = jpeg), or all")
            }
            if !modes.contains(mode) { modes.append(mode) }
        }
        guard !modes.isEmpty else { throw EvaluationError("--mode needs at least one mode") }
        return modes
    }
}

/// A channel budget of a sweep (`semcom eval --budget`): a bandwidth ratio ρ = complex channel uses ÷ (H·W·3),
/// or none (every scheme spends what it likes, the sweep before budgets).
public struct ChannelBudget: Sendable, Hashable, Codable, CustomStringConvertible {
    /// ρ; nil: no budget.
    public var rho: Double?
    /// As written: `1/12`, `0.25`, `none`.
    public var label: String

    public static let none = ChannelBudget(rho: nil, label: "none")

    public init(rho: Double?, label: String) {
        self.rho = rho
        self.label = label
    }

    /// Parses `1/12,1/3` (fractions or decimals) or `none`; 0 < ρ ≤ 64.
    public static func parseList(_ text: String) throws(EvaluationError) -> [ChannelBudget] {
        var budgets: [ChannelBudget] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let budget: ChannelBudget
            if part == "none" {
                budget = .none
            } else {
                let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
                var value: Double?
                if pieces.count == 1 {
                    value = Double(pieces[0])
                } else if pieces.count == 2, let a = Double(pieces[0]), let b = Double(pieces[1]), b != 0 {
                    value = a / b
                }
                guard let rho = value, rho.isFinite, rho > 0, rho <= 64 else {
                    throw EvaluationError(
                        "--budget '\(part)': give ρ as a fraction or number in (0, 64], e.g. 1/12 or 0.25, or none")
                }
                budget = ChannelBudget(rho: rho, label: part)
            }
            if !budgets.contains(where: { $0.label == budget.label }) { budgets.append(budget) }
        }
        guard !budgets.isEmpty else { throw EvaluationError("--budget needs at least one value") }
        return budgets
    }

    /// A file-name-safe label: `rho1_12`, `rho0.25`, `nobudget`.
    public var fileLabel: String { Self.fileLabel(label) }

    /// The file-name-safe form of a budget's label.
    public static func fileLabel(_ label: String) -> String {
        label == "none" ? "nobudget" : "rho" + label.replacingOccurrences(of: "/", with: "_")
    }

    public var description: String { rho == nil ? "no budget" : "ρ = \(label)" }
}
