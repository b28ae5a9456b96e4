import Foundation

/// summary.json: for every SNR and mode, the mean and 95 % interval of every metric column of results.csv,
/// with counts; the run's settings and conventions; the headline figures.
public struct EvaluationSummary: Sendable, Codable {
    /// One SNR × mode cell.
    public struct Group: Sendable, Codable {
        public var mode: TransmissionMode
        public var snrDB: Double
        /// Images sent.
        public var images: Int
        /// Of which lost (digital modes).
        public var lost: Int
        /// The schemes (modulation and code) used, most frequent first.
        public var schemes: [String]
        /// Per metric column: mean and 95 % interval over the rows where it is defined.
        public var metrics: [String: MeanInterval]

        enum CodingKeys: String, CodingKey { case mode, snrDB = "snr_db", images, lost, schemes, metrics }
    }

    /// The figures the README quotes (see `Headline`).
    public struct Headline: Sendable, Codable {
        /// Mean re-segmentation mIoU of the semantic (analog) mode at the highest SNR: its "clean" value.
        public var semanticCleanMIoU: Double?
        /// The lowest SNR of the sweep from which the analog mode keeps ≥ 80 % of its clean mIoU (at it and
        /// every SNR above).
        public var semanticHoldsFromDB: Double?
        /// The highest SNR of the sweep at which the classical (JPEG) mode loses at least half its images:
        /// below or at it, classical transmission has collapsed.
        public var classicalCollapsesAtDB: Double?
        /// The lowest SNR from which the classical mode delivers every image.
        public var classicalDeliversFromDB: Double?
        /// Mean bits on the air per image per mode, over the sweep (header included; for analog modes the
        /// header only) and mean complex channel uses per image per mode.
        public var bitsPerImage: [String: Double]
        public var channelUsesPerImage: [String: Double]

        enum CodingKeys: String, CodingKey {
            case semanticCleanMIoU = "semantic_clean_miou", semanticHoldsFromDB = "semantic_holds_80pct_from_db"
            case classicalCollapsesAtDB = "classical_collapses_at_or_below_db"
            case classicalDeliversFromDB = "classical_delivers_all_from_db"
            case bitsPerImage = "bits_per_image", channelUsesPerImage = "channel_uses_per_image"
        }
    }

    public var settings: EvaluationSettings
    /// Words for the conventions and omissions, so the file explains itself.
    public var notes: [String]
    /// mIoU and pixel accuracy of the segmenter on the original images (the ceiling of the re-segmentation
    /// measure, and what the classical modes reach when nothing is lost).
    public var segmenterOnOriginals: [String: MeanInterval]
    public var groups: [Group]
    public var headline: Headline

    enum CodingKeys: String, CodingKey {
        case settings, notes, segmenterOnOriginals = "segmenter_on_originals", groups, headline
    }

    /// Aggregates `records`.
    public init(
        records: [EvaluationRecord], settings: EvaluationSettings, notes: [String],
        segmenterOnOriginals: [String: MeanInterval]
    ) {
        self.settings = settings
        self.notes = notes
        self.segmenterOnOriginals = segmenterOnOriginals
        var groups: [Group] = []
        for mode in settings.modes {
            for snr in settings.snrs {
                let rows = records.filter { $0.mode == mode && $0.snrDB == snr }
                guard !rows.isEmpty else { continue }
                var metrics: [String: MeanInterval] = [:]
                for column in EvaluationRecord.metricColumns {
                    metrics[column] = MeanInterval(rows.map { $0.metric(column) })
                }
                var schemeCounts: [String: Int] = [:]
                for r in rows { schemeCounts[r.scheme, default: 0] += 1 }
                let schemes = schemeCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                    .map(\.key)
                groups.append(
                    Group(
                        mode: mode, snrDB: snr, images: rows.count, lost: rows.filter(\.lost).count, schemes: schemes,
                        metrics: metrics))
            }
        }
        self.groups = groups
        headline = Self.headline(groups: groups, settings: settings)
    }

    public func group(_ mode: TransmissionMode, _ snr: Double) -> Group? {
        groups.first { $0.mode == mode && $0.snrDB == snr }
    }

    static func headline(groups: [Group], settings: EvaluationSettings) -> Headline {
        let snrs = settings.snrs.sorted()
        func mean(_ mode: TransmissionMode, _ snr: Double, _ column: String) -> Double? {
            guard let m = groups.first(where: { $0.mode == mode && $0.snrDB == snr })?.metrics[column]?.mean,
                m.isFinite
            else { return nil }
            return m
        }
        var clean: Double?
        var holdsFrom: Double?
        if let top = snrs.last, let c = mean(.analog, top, "miou") {
            clean = c
            for snr in snrs.reversed() {
                guard let m = mean(.analog, snr, "miou"), m >= 0.8 * c else { break }
                holdsFrom = snr
            }
        }
        var collapses: Double?, delivers: Double?
        for snr in snrs {
            guard let lost = mean(.classical, snr, "lost") else { continue }
            if lost >= 0.5 { collapses = snr }
        }
        for snr in snrs.reversed() {
            guard let lost = mean(.classical, snr, "lost"), lost == 0 else { break }
            delivers = snr
        }
        var bits: [String: Double] = [:], uses: [String: Double] = [:]
        for mode in settings.modes {
            let cells = groups.filter { $0.mode == mode }
            guard !cells.isEmpty else { continue }
            bits[mode.rawValue] = cells.map { $0.metrics["bits_on_air"]?.mean ?? 0 }.reduce(0, +) / Double(cells.count)
            uses[mode.rawValue] =
                cells.map { $0.metrics["channel_uses"]?.mean ?? 0 }.reduce(0, +) / Double(cells.count)
        }
        return Headline(
            semanticCleanMIoU: clean, semanticHoldsFromDB: holdsFrom, classicalCollapsesAtDB: collapses,
            classicalDeliversFromDB: delivers, bitsPerImage: bits, channelUsesPerImage: uses)
    }

    /// The JSON text (sorted keys, pretty-printed).
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }
}
