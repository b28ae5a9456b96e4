import ChannelModels
import Foundation

/// BER curves as a hand-written SVG: x = Es/N0 or Eb/N0 in dB (linear), y = BER on a log axis (decades),
/// one solid polyline with markers per run and its uncoded theory dashed in the same colour.
struct BERPlot {
    struct Curve {
        var label: String
        var points: [LinkSimulation.Point]
    }

    var runs: [Curve]
    var xAxisIsEbN0: Bool
    var width = 760.0, height = 520.0
    let margin = (left: 70.0, right: 210.0, top: 30.0, bottom: 55.0)
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    func svg() -> String {
        let xs = runs.flatMap { $0.points.map(x) }
        let bers = runs.flatMap { $0.points.flatMap { [$0.ber, $0.theoryBER ?? 0] } }.filter { $0 > 0 }
        let xMin = (xs.min() ?? 0).rounded(.down), xMax = max((xs.max() ?? 1).rounded(.up), xMin + 1)
        let yMinDecade = max(-9.0, (log10(bers.min() ?? 1e-6)).rounded(.down))
        let yMaxDecade = min(0.0, max((log10(bers.max() ?? 1)).rounded(.up), yMinDecade + 1))
        let plotW = width - margin.left - margin.right, plotH = height - margin.top - margin.bottom
        func px(_ v: Double) -> Double { margin.left + (v - xMin) / (xMax - xMin) * plotW }
        func py(_ ber: Double) -> Double {
            let d = min(max(log10(ber), yMinDecade), yMaxDecade)
            return margin.top + (yMaxDecade - d) / (yMaxDecade - yMinDecade) * plotH
        }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>

            """
        // Grid: decades (and 2…9 minor lines) on y, integer-ish dB ticks on x.
        var d = yMinDecade
        while d <= yMaxDecade {
            let y = py(pow(10, d))
            s += "<line x1=\"\(f(margin.left))\" y1=\"\(f(y))\" x2=\"\(f(margin.left + plotW))\" y2=\"\(f(y))\" stroke=\"#bbb\"/>\n"
            s += "<text x=\"\(f(margin.left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">1e\(Int(d))</text>\n"
            if d < yMaxDecade {
                for m in 2...9 {
                    let ym = py(Double(m) * pow(10, d))
                    s += "<line x1=\"\(f(margin.left))\" y1=\"\(f(ym))\" x2=\"\(f(margin.left + plotW))\" y2=\"\(f(ym))\" stroke=\"#eee\"/>\n"
                }
            }
            d += 1
        }
        let span = xMax - xMin
        let step = span <= 12 ? 1.0 : span <= 24 ? 2.0 : 5.0
        var xv = xMin
        while xv <= xMax + 1e-9 {
            let x = px(xv)
            s += "<line x1=\"\(f(x))\" y1=\"\(f(margin.top))\" x2=\"\(f(x))\" y2=\"\(f(margin.top + plotH))\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(f(x))\" y=\"\(f(margin.top + plotH + 16))\" text-anchor=\"middle\">\(Int(xv))</text>\n"
            xv += step
        }
        s += "<rect x=\"\(f(margin.left))\" y=\"\(f(margin.top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"black\"/>\n"
        s += "<text x=\"\(f(margin.left + plotW / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">\(xAxisIsEbN0 ? "Eb/N0" : "Es/N0") (dB)</text>\n"
        s += "<text x=\"16\" y=\"\(f(margin.top + plotH / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(f(margin.top + plotH / 2)))\">bit error rate</text>\n"
        for (i, run) in runs.enumerated() {
            let colour = Self.palette[i % Self.palette.count]
            let measured = run.points.filter { $0.ber > 0 }
            if !measured.isEmpty {
                let path = measured.map { "\(f(px(x($0)))),\(f(py($0.ber)))" }.joined(separator: " ")
                s += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n"
                for p in measured { s += "<circle cx=\"\(f(px(x(p))))\" cy=\"\(f(py(p.ber)))\" r=\"3\" fill=\"\(colour)\"/>\n" }
            }
            let theory = run.points.compactMap { p in p.theoryBER.flatMap { $0 > 0 ? (x(p), $0) : nil } }
            if !theory.isEmpty {
                let path = theory.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ")
                s += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1\" stroke-dasharray=\"5,4\"/>\n"
            }
            let ly = margin.top + 14 + Double(i) * 18
            let lx = margin.left + plotW + 12
            s += "<line x1=\"\(f(lx))\" y1=\"\(f(ly - 4))\" x2=\"\(f(lx + 22))\" y2=\"\(f(ly - 4))\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n"
            s += "<text x=\"\(f(lx + 28))\" y=\"\(f(ly))\">\(run.label.replacingOccurrences(of: "&", with: "&amp;"))</text>\n"
        }
        let ly = margin.top + 14 + Double(runs.count) * 18
        let lx = margin.left + plotW + 12
        s += "<line x1=\"\(f(lx))\" y1=\"\(f(ly - 4))\" x2=\"\(f(lx + 22))\" y2=\"\(f(ly - 4))\" stroke=\"black\" stroke-dasharray=\"5,4\"/>\n"
        s += "<text x=\"\(f(lx + 28))\" y=\"\(f(ly))\">uncoded theory</text>\n"
        s += "</svg>\n"
        return s
    }

    private func x(_ p: LinkSimulation.Point) -> Double { xAxisIsEbN0 ? p.ebN0DB : p.esN0DB }
}
