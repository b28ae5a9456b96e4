import Foundation

/// summary.json: for every SNR and mode, the mean and 95 % interval of every metric column of results.csv,
/// with counts; the run's settings and conventions; the headline figures.
public struct EvaluationSummary: Sendable, Codable {
    /// One mode × budget × SNR cell (over scenes and channel seeds). For a mode swept over MCSs under a
    /// budget, the envelope's: the rows of the MCS with the best mean of `envelopeMetric` in this cell.
    public struct Group: Sendable, Codable {
        public var mode: TransmissionMode
        /// The budget's label (`none`, `1/12`) and ρ (nil without a budget).
        public var budget: String
        public var budgetRho: Double?
        public var snrDB: Double
        /// The MCS these rows crossed: the envelope's choice, or the only one; nil for analog schemes.
        public var mcs: String?
        /// Images sent.
        public var images: Int
        /// Of which lost (digital modes).
        public var lost: Int
        /// The schemes (modulation and code) used, most frequent first.
        public var schemes: [String]
        /// Per metric column: mean and 95 % interval over the rows where it is defined.
        public var metrics: [String: MeanInterval]

        enum CodingKeys: String, CodingKey {
            case mode, budget, budgetRho = "budget_rho", snrDB = "snr_db", mcs, images, lost, schemes, metrics
        }
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
    /// Every MCS's own cell, for the modes swept over MCSs under a budget: the curves of the envelope figure.
    public var mcsGroups: [Group]
    public var headline: Headline

    enum CodingKeys: String, CodingKey {
        case settings, notes, segmenterOnOriginals = "segmenter_on_originals", groups, mcsGroups = "mcs_groups",
            headline
    }

    /// The metric the envelope maximises for a mode swept over MCSs: mIoU for the digital semantic map (its
    /// purpose is the semantics), PSNR for the codecs (what they are built for); lost rows count as the
    /// fallback image's score, so a cliff lowers the mean.
    public static func envelopeMetric(_ mode: TransmissionMode) -> String { mode.isDigitalMap ? "miou" : "psnr_db" }

    /// Aggregates `records`.
    public init(
        records: [EvaluationRecord], settings: EvaluationSettings, notes: [String],
        segmenterOnOriginals: [String: MeanInterval]
    ) {
        self.settings = settings
        self.notes = notes
        self.segmenterOnOriginals = segmenterOnOriginals
        var groups: [Group] = [], mcsGroups: [Group] = []
        func group(_ rows: [EvaluationRecord], mode: TransmissionMode, budget: ChannelBudget, snr: Double, mcs: String?)
            -> Group
        {
            var metrics: [String: MeanInterval] = [:]
            for column in EvaluationRecord.metricColumns {
                metrics[column] = MeanInterval(rows.map { $0.metric(column) })
            }
            var schemeCounts: [String: Int] = [:]
            for r in rows { schemeCounts[r.scheme, default: 0] += 1 }
            let schemes = schemeCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .map(\.key)
            return Group(
                mode: mode, budget: budget.label, budgetRho: budget.rho, snrDB: snr, mcs: mcs, images: rows.count,
                lost: rows.filter(\.lost).count, schemes: schemes, metrics: metrics)
        }
        for mode in settings.modes {
            for budget in settings.budgets {
                for snr in settings.snrs {
                    let rows = records.filter { $0.mode == mode && $0.budget == budget.label && $0.snrDB == snr }
                    guard !rows.isEmpty else { continue }
                    var byMCS: [String: [EvaluationRecord]] = [:]
                    var order: [String] = []
                    for r in rows {
                        if byMCS[r.mcs] == nil { order.append(r.mcs) }
                        byMCS[r.mcs, default: []].append(r)
                    }
                    if order.count <= 1 {
                        groups.append(
                            group(
                                rows, mode: mode, budget: budget, snr: snr,
                                mcs: order.first.flatMap { $0.isEmpty ? nil : $0 }))
                        continue
                    }
                    // The envelope: the MCS with the best mean over the scenes and seeds, never per image.
                    let metric = Self.envelopeMetric(mode)
                    var best: Group?
                    for mcs in order {
                        let g = group(byMCS[mcs]!, mode: mode, budget: budget, snr: snr, mcs: mcs)
                        mcsGroups.append(g)
                        let score = g.metrics[metric]?.mean ?? -.infinity
                        if best.map({ score > ($0.metrics[metric]?.mean ?? -.infinity) }) ?? true { best = g }
                    }
                    groups.append(best!)
                }
            }
        }
        self.groups = groups
        self.mcsGroups = mcsGroups
        headline = Self.headline(groups: groups, settings: settings)
    }

    /// The cell of `mode` at `snr` under `budget` (the sweep's first budget when nil).
    public func group(_ mode: TransmissionMode, _ snr: Double, budget: String? = nil) -> Group? {
        let label = budget ?? settings.budgets.first?.label ?? "none"
        return groups.first { $0.mode == mode && $0.snrDB == snr && $0.budget == label }
    }

    static func headline(groups: [Group], settings: EvaluationSettings) -> Headline {
        let snrs = settings.snrs.sorted()
        let budget = settings.budgets.first?.label ?? "none"
        func mean(_ mode: TransmissionMode, _ snr: Double, _ column: String) -> Double? {
            guard
                let m = groups.first(where: { $0.mode == mode && $0.snrDB == snr && $0.budget == budget })?
                    .metrics[column]?.mean,
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
        // Not delivered: lost, or (under a budget) not fitting at all.
        func undelivered(_ snr: Double) -> Double? {
            guard let lost = mean(.jpeg, snr, "lost"), let fits = mean(.jpeg, snr, "fits") else { return nil }
            return lost + (1 - fits)
        }
        var collapses: Double?, delivers: Double?
        for snr in snrs {
            guard let share = undelivered(snr) else { continue }
            if share >= 0.5 { collapses = snr }
        }
        for snr in snrs.reversed() {
            guard let share = undelivered(snr), share == 0 else { break }
            delivers = snr
        }
        var bits: [String: Double] = [:], uses: [String: Double] = [:]
        for mode in settings.modes {
            let cells = groups.filter { $0.mode == mode && $0.budget == budget }
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
