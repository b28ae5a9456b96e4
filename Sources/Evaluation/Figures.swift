import Foundation

/// The paper-ready figures of a sweep, one file per figure in `OUT/figures/`: NAME.svg, NAME.pdf (a vector PDF
/// by `rsvg-convert`, librsvg2-bin) and NAME.csv, the numbers it was drawn from. Every scheme has its own
/// colour, marker and dash pattern (readable in greyscale); points are means, whiskers 95 % intervals over
/// scenes × channel seeds.
public struct Figures {
    /// One figure.
    public struct Figure {
        /// File name without extension, e.g. `psnr_db-vs-snr-rho1_12`.
        public var name: String
        public var title: String
        public var xLabel: String
        public var yLabel: String
        public var series: [SVGChart.Series]
        public var yRange: ClosedRange<Double>?

        public var svg: String {
            SVGChart.linePlot(id: name, title: title, xLabel: xLabel, yLabel: yLabel, series: series, yRange: yRange)
        }

        /// series, x, mean, low, high (the 95 % interval).
        public var csv: String {
            var lines = ["series,x,mean,low,high"]
            for serie in series {
                for p in serie.points {
                    lines.append(
                        [
                            ResultsTable.quoted(serie.name), ResultsTable.number(p.x), ResultsTable.number(p.y),
                            ResultsTable.number(p.low), ResultsTable.number(p.high),
                        ].joined(separator: ","))
                }
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }

    /// The metrics drawn: column, name on the axis, direction, fixed range.
    public static let metrics: [(column: String, label: String, range: ClosedRange<Double>?)] = [
        ("miou", "mIoU of the re-segmented output (higher is better)", 0...1),
        ("psnr_db", "PSNR vs the original, dB (higher is better)", nil),
        ("ssim", "SSIM vs the original (higher is better)", 0...1),
        ("pixel_acc", "pixel accuracy of the re-segmented output (higher is better)", 0...1),
        ("rho", "ρ spent = channel uses ÷ (H·W·3)", nil),
    ]

    public let summary: EvaluationSummary

    public init(summary: EvaluationSummary) { self.summary = summary }

    /// Every figure: each metric vs SNR at each budget; each metric vs ρ at each SNR (two budgets or more);
    /// each MCS-swept mode's per-MCS curves with its envelope at each budget.
    public var all: [Figure] {
        let settings = summary.settings
        let modes = settings.modes
        var figures: [Figure] = []
        let snrLabel = settings.convention.axisLabel
        for budget in settings.budgets {
            for metric in Self.metrics {
                let series = modes.enumerated().compactMap { n, mode -> SVGChart.Series? in
                    let points = settings.snrs.sorted().compactMap { snr -> (Double, Double, Double, Double)? in
                        guard let g = summary.group(mode, snr, budget: budget.label), let m = g.metrics[metric.column],
                            m.count > 0
                        else { return nil }
                        return (snr, m.mean, m.low, m.high)
                    }
                    return points.isEmpty ? nil : Self.series(mode.rawValue, n, points)
                }
                figures.append(
                    Figure(
                        name: "\(metric.column)-vs-snr-\(budget.fileLabel)",
                        title: "\(Self.short(metric.column)) vs SNR, \(budget)", xLabel: snrLabel, yLabel: metric.label,
                        series: series, yRange: metric.range))
            }
        }
        let budgeted = settings.budgets.filter { $0.rho != nil }
        if budgeted.count >= 2 {
            for snr in settings.snrs {
                for metric in Self.metrics where metric.column != "rho" {
                    let series = modes.enumerated().compactMap { n, mode -> SVGChart.Series? in
                        let points = budgeted.sorted { $0.rho! < $1.rho! }.compactMap {
                            budget -> (Double, Double, Double, Double)? in
                            guard let g = summary.group(mode, snr, budget: budget.label),
                                let m = g.metrics[metric.column], m.count > 0
                            else { return nil }
                            return (budget.rho!, m.mean, m.low, m.high)
                        }
                        return points.isEmpty ? nil : Self.series(mode.rawValue, n, points)
                    }
                    figures.append(
                        Figure(
                            name: "\(metric.column)-vs-rho-\(SNRList.label(snr))",
                            title: "\(Self.short(metric.column)) vs ρ at \(SVGChart.format(snr)) dB",
                            xLabel: "bandwidth ratio ρ = channel uses ÷ (H·W·3)", yLabel: metric.label, series: series,
                            yRange: metric.range))
                }
            }
        }
        for budget in budgeted {
            for mode in modes {
                let groups = summary.mcsGroups.filter { $0.mode == mode && $0.budget == budget.label }
                guard !groups.isEmpty else { continue }
                let column = EvaluationSummary.envelopeMetric(mode)
                var order: [String] = []
                for g in groups where !order.contains(g.mcs ?? "") { order.append(g.mcs ?? "") }
                var series = order.enumerated().compactMap { n, mcs -> SVGChart.Series? in
                    let points = groups.filter { $0.mcs == mcs }.sorted { $0.snrDB < $1.snrDB }.compactMap {
                        g -> (Double, Double, Double, Double)? in
                        guard let m = g.metrics[column], m.count > 0 else { return nil }
                        return (g.snrDB, m.mean, m.low, m.high)
                    }
                    return points.isEmpty ? nil : Self.series(mcs, n + 1, points, width: 1.2)
                }
                let envelope = settings.snrs.sorted().compactMap { snr -> (Double, Double, Double, Double)? in
                    guard let m = summary.group(mode, snr, budget: budget.label)?.metrics[column], m.count > 0 else {
                        return nil
                    }
                    return (snr, m.mean, m.low, m.high)
                }
                series.insert(
                    SVGChart.Series(name: "envelope", color: "#000000", points: envelope, marker: .circle, width: 3),
                    at: 0)
                figures.append(
                    Figure(
                        name: "envelope-\(mode.rawValue)-\(budget.fileLabel)",
                        title: "\(mode.rawValue): every MCS and the envelope, \(budget)", xLabel: snrLabel,
                        yLabel: Self.metrics.first { $0.column == column }?.label ?? column, series: series,
                        yRange: Self.metrics.first { $0.column == column }?.range))
            }
        }
        return figures
    }

    static func series(_ name: String, _ n: Int, _ points: [(Double, Double, Double, Double)], width: Double = 2)
        -> SVGChart.Series
    {
        let style = SVGChart.style(n)
        return SVGChart.Series(
            name: name, color: style.color, points: points.map { (x: $0.0, y: $0.1, low: $0.2, high: $0.3) },
            marker: style.marker, dash: style.dash, width: width)
    }

    static func short(_ column: String) -> String {
        ["miou": "mIoU", "psnr_db": "PSNR", "ssim": "SSIM", "pixel_acc": "pixel accuracy", "rho": "ρ spent"][column]
            ?? column
    }

    /// Writes every figure's SVG, CSV and PDF into `folder`; returns the figures and, when PDFs could not be
    /// made, why (`rsvg-convert` missing — `make deps` installs it — or failing): the SVGs and CSVs are written
    /// whatever happens to the PDFs, and the report says what is missing.
    @discardableResult
    public func write(to folder: String) throws -> (figures: [Figure], pdfProblem: String?) {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let figures = all
        let converter = Self.rsvgConvert()
        var problem: String? =
            converter == nil ? "no PDFs: rsvg-convert (librsvg2-bin, `make deps`) is not installed" : nil
        for figure in figures {
            let base = (folder as NSString).appendingPathComponent(figure.name)
            try Data(figure.svg.utf8).write(to: URL(fileURLWithPath: base + ".svg"))
            try Data(figure.csv.utf8).write(to: URL(fileURLWithPath: base + ".csv"))
            if let converter, problem == nil {
                do { try Self.pdf(converter, svg: base + ".svg", pdf: base + ".pdf") } catch {
                    problem = "no PDFs: \(error)"
                }
            }
        }
        return (figures, problem)
    }

    /// The path of `rsvg-convert`, if installed.
    static func rsvgConvert() -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/rsvg-convert" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func pdf(_ converter: String, svg: String, pdf: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: converter)
        process.arguments = ["-f", "pdf", "-o", pdf, svg]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw EvaluationError(
                "rsvg-convert failed on \(svg): \(String(decoding: message, as: UTF8.self))")
        }
    }
}
