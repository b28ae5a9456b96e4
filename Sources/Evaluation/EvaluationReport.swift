import Foundation
import Imaging
import Scenes

/// report.html: one self-contained page (inline SVG plots, images as base64 PNG data URIs, no scripts or
/// external resources) that opens offline.
public struct EvaluationReport {
    public var summary: EvaluationSummary
    public var grids: [GridRow]
    /// Free-form facts about the run shown at the top (scenes, steps, run time…).
    public var facts: [(String, String)]
    /// The figures shown (`Figures`), written beside the report.
    public var figures: [Figures.Figure]

    public init(
        summary: EvaluationSummary, grids: [GridRow], facts: [(String, String)], figures: [Figures.Figure] = []
    ) {
        self.summary = summary
        self.grids = grids
        self.facts = facts
        self.figures = figures
    }

    /// The line plots: metric column, title, y label, fixed range.
    public static let plots: [(column: String, title: String, yLabel: String, range: ClosedRange<Double>?)] = [
        ("miou", "mIoU of the re-segmented output vs the sent map", "mIoU", 0...1),
        ("pixel_acc", "Pixel accuracy of the re-segmented output", "accuracy", 0...1),
        ("map_acc_raw", "Received map accuracy, raw (before any denoiser)", "accuracy", 0...1),
        ("map_acc_fds", "Received map accuracy after FDS (analog; GESCO's denoiser)", "accuracy", 0...1),
        ("map_acc", "Accuracy of the map the receiver decided (after its denoiser)", "accuracy", 0...1),
        ("psnr_db", "PSNR of the output vs the original", "PSNR (dB)", nil),
        ("ssim", "SSIM (luminance) of the output vs the original", "SSIM", nil),
        ("lost", "Frames lost after retransmissions", "share of images", 0...1),
        ("channel_uses_per_pixel", "Channel uses per pixel (all attempts)", "complex uses / pixel", nil),
        ("t_generator_ms", "Generator time per image", "ms", nil),
    ]

    /// A mode's colour, marker and dash pattern: the same in every plot and figure.
    static func style(_ mode: TransmissionMode) -> (color: String, marker: SVGChart.Marker, dash: String?) {
        SVGChart.style(TransmissionMode.allCases.firstIndex(of: mode) ?? 0)
    }

    /// The plot of one metric column.
    public func plot(_ column: String, title: String, yLabel: String, range: ClosedRange<Double>?) -> String {
        let series = summary.settings.modes.compactMap { mode -> SVGChart.Series? in
            let points = summary.settings.snrs.sorted().compactMap { snr -> (Double, Double, Double, Double)? in
                guard let m = summary.group(mode, snr)?.metrics[column], m.count > 0 else { return nil }
                return (snr, m.mean, m.low, m.high)
            }
            guard !points.isEmpty else { return nil }
            let style = Self.style(mode)
            return SVGChart.Series(
                name: mode.rawValue, color: style.color, points: points, marker: style.marker, dash: style.dash)
        }
        return SVGChart.linePlot(
            id: column, title: title, xLabel: summary.settings.convention.axisLabel, yLabel: yLabel, series: series,
            yRange: range)
    }

    public func html() throws -> String {
        let settings = summary.settings
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>semcom eval report</title>
            <style>
            body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1500px; }
            h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ccc; }
            table { border-collapse: collapse; font-size: 13px; } td, th { padding: 3px 8px; border: 1px solid #ddd; }
            th { background: #f4f4f4; } .plots svg { margin: 6px; border: 1px solid #eee; }
            .grid img { width: 256px; image-rendering: pixelated; display: block; }
            .grid td { vertical-align: top; text-align: center; font-size: 12px; }
            .lost { width: 256px; height: 128px; background: #eee; color: #a00; display: flex;
                    align-items: center; justify-content: center; font-weight: bold; }
            .note { font-size: 13px; color: #444; }
            </style></head><body>
            <h1>semcom eval — generative semantic vs classical transmission</h1>

            """
        h += "<table>\n"
        var rows = facts
        rows += [
            ("SNR points (dB)", settings.snrs.map { SVGChart.format($0) }.joined(separator: ", ")),
            ("SNR convention", settings.convention.axisLabel),
            (
                "channel",
                settings.fading
                    ? "Rayleigh block fading (coherence \(settings.coherence) uses, MMSE, perfect CSI) + AWGN" : "AWGN"
            ),
            ("modes", settings.modes.map(\.rawValue).joined(separator: ", ")),
            ("budgets (ρ = payload channel uses ÷ H·W·3)", settings.budgets.map(\.label).joined(separator: ", ")),
            ("channel seeds per cell", "\(settings.channelSeeds)"),
            ("JPEG quality without a budget", "\(settings.jpegQuality)"),
            ("retransmissions (digital)", "up to \(settings.maxRetries)"),
            ("seed", "\(settings.seed)"),
        ]
        for (k, v) in rows { h += "<tr><th>\(esc(k))</th><td>\(esc(v))</td></tr>\n" }
        h += "</table>\n"

        h += "<h2 id=\"headline\">Headline figures</h2>\n<ul>\n"
        let hl = summary.headline
        if let clean = hl.semanticCleanMIoU {
            h += "<li>Analog semantic mode: clean mIoU \(String(format: "%.3f", clean)) (at the highest SNR); "
            h +=
                hl.semanticHoldsFromDB.map { "keeps ≥ 80 % of it from \(SVGChart.format($0)) dB up.</li>\n" }
                ?? "below 80 % of it somewhere in the sweep.</li>\n"
        }
        if settings.modes.contains(.jpeg) {
            h += "<li>Classical JPEG: "
            h +=
                hl.classicalCollapsesAtDB.map {
                    "loses at least half the images at \(SVGChart.format($0)) dB and below; "
                }
                ?? "never loses half the images in this sweep; "
            h +=
                hl.classicalDeliversFromDB.map { "delivers every image from \(SVGChart.format($0)) dB up.</li>\n" }
                ?? "loses images even at the highest SNR.</li>\n"
        }
        for mode in settings.modes {
            let bits = hl.bitsPerImage[mode.rawValue] ?? 0, uses = hl.channelUsesPerImage[mode.rawValue] ?? 0
            h += "<li>\(mode.rawValue): \(SVGChart.format(bits.rounded())) bits on the air and "
            h += "\(SVGChart.format(uses.rounded())) channel uses per image (mean over the sweep)</li>\n"
        }
        if let seg = summary.segmenterOnOriginals["miou"] {
            h += "<li>Segmenter on the original images: mIoU \(String(format: "%.3f", seg.mean)) — the ceiling of the "
            h += "re-segmentation measure.</li>\n"
        }
        h += "</ul>\n"

        if !figures.isEmpty {
            h += "<h2 id=\"figures\">Figures (OUT/figures: SVG, PDF and the CSV of each)</h2>\n<p class=\"note\">"
            h += "Every scheme at the same channel budget ρ; points are means over scenes × channel seeds, whiskers "
            h += "95 % intervals; the envelope figures show every MCS's curve (its cliff) and the MCS chosen per SNR "
            h += "from the mean.</p>\n<div class=\"plots\">\n"
            for figure in figures { h += figure.svg }
            h += "</div>\n"
        }
        h += "<h2 id=\"plots\">Metrics against SNR (\(esc(settings.budgets.first?.description ?? "no budget")))</h2>\n"
        h += "<p class=\"note\">Points are means over the images; "
        h += "whiskers are 95 % confidence intervals (Student's t).</p>\n<div class=\"plots\">\n"
        for p in Self.plots { h += plot(p.column, title: p.title, yLabel: p.yLabel, range: p.range) }
        h += "</div>\n"

        h += "<h2 id=\"bits\">Bits per image</h2>\n<div class=\"plots\">\n"
        let modes = settings.modes
        h += SVGChart.barChart(
            id: "bits", title: "Bits on the air per image (mean over the sweep)", yLabel: "bits",
            bars: modes.map { ($0.rawValue, hl.bitsPerImage[$0.rawValue] ?? 0, Self.style($0).color) })
        h += SVGChart.barChart(
            id: "channel-uses", title: "Complex channel uses per image", yLabel: "channel uses",
            bars: modes.map { ($0.rawValue, hl.channelUsesPerImage[$0.rawValue] ?? 0, Self.style($0).color) })
        h += "</div>\n<p class=\"note\">Digital modes: coded payload bits of every attempt plus the frame header "
        h += "(protected control channel, at the payload's spectral efficiency). Analog modes carry real symbols, "
        h += "not bits: their bar shows only the header bits; compare them by channel uses.</p>\n"

        h += try summaryTable()

        h += "<h2 id=\"grids\">Images</h2>\n"
        for budget in settings.budgets {
            for snr in settings.snrs {
                let rowsAtSNR = grids.filter { $0.snrDB == snr && $0.budget == budget.label }
                guard !rowsAtSNR.isEmpty else { continue }
                let id =
                    settings.budgets.count > 1
                    ? "grid-\(budget.fileLabel)-\(SNRList.label(snr))" : "grid-\(SNRList.label(snr))"
                h +=
                    "<h3>\(esc(budget.description)), \(SVGChart.format(snr)) dB</h3>\n<table class=\"grid\" id=\"\(id)\">\n<tr>"
                for tile in rowsAtSNR[0].tiles(modes: modes) { h += "<th>\(esc(tile.caption))</th>" }
                h += "</tr>\n"
                for row in rowsAtSNR {
                    h += "<tr>"
                    for tile in row.tiles(modes: modes) {
                        if let image = tile.image {
                            h += "<td><img alt=\"\(esc(row.image)) \(esc(tile.caption))\" src=\"data:image/png;base64,"
                            h += try PNG.encode(image).base64() + "\"></td>"
                        } else {
                            h += "<td><div class=\"lost\">lost</div></td>"
                        }
                    }
                    h += "</tr>\n"
                }
                h += "</table>\n"
            }
        }

        h += "<h2 id=\"notes\">Notes</h2>\n<ul class=\"note\">\n"
        for note in summary.notes { h += "<li>\(esc(note))</li>\n" }
        h += "</ul>\n</body></html>\n"
        return h
    }

    private func summaryTable() throws -> String {
        var h = "<h2 id=\"table\">Summary (mean ± 95 % half-interval; ρ spent in every row)</h2>\n<table>\n"
        h += "<tr><th>mode</th><th>budget ρ</th><th>SNR</th><th>rows</th><th>lost</th><th>not fitting</th><th>MCS</th>"
        h += "<th>scheme</th>"
        let columns = [
            "rho", "header_channel_uses", "payload_bits", "bpp", "miou", "pixel_acc", "map_acc", "psnr_db",
            "ssim",
        ]
        for c in columns { h += "<th>\(c)</th>" }
        h += "</tr>\n"
        for g in summary.groups {
            let notFitting = g.metrics["fits"].map { Int(((1 - $0.mean) * Double($0.count)).rounded()) } ?? 0
            h += "<tr><td>\(g.mode.rawValue)</td><td>\(esc(g.budget))</td><td>\(SVGChart.format(g.snrDB))</td>"
            h += "<td>\(g.images)</td><td>\(g.lost)</td><td>\(notFitting)</td><td>\(esc(g.mcs ?? "—"))</td>"
            h += "<td>\(esc(g.schemes.first ?? ""))</td>"
            for c in columns {
                let m = g.metrics[c]!
                h +=
                    m.count == 0
                    ? "<td>—</td>"
                    : "<td>\(String(format: "%.4g", m.mean)) ± \(String(format: "%.2g", m.halfWidth))</td>"
            }
            h += "</tr>\n"
        }
        return h + "</table>\n"
    }

    /// The first image's grid as one PNG-ready picture: one row per SNR, tiles as in the HTML (a lost output
    /// is a grey tile). For the README.
    public func gridPicture(image name: String? = nil) -> RGBImage? {
        let chosen = name ?? grids.first?.image
        let rows = grids.filter { $0.image == chosen }
        guard let first = rows.first else { return nil }
        let grey = RGBImage(width: first.original.width, height: first.original.height, fill: (200, 200, 200))
        let tiles = rows.map { $0.tiles(modes: summary.settings.modes).map { $0.image ?? grey } }
        return ContactSheet.make(tiles, columns: 1, gap: 4)
    }

    func esc(_ s: String) -> String { SVGChart.escape(s) }
}

extension Array where Element == UInt8 {
    func base64() -> String { Data(self).base64EncodedString() }
}
