import Foundation

/// Hand-written SVG charts, the one place semcom draws them: a line plot with 95 % interval whiskers (linear or
/// log y axis) and a bar chart, for the report and its figures, and the BER curves of `semcom channel --plot`
/// (`berPlot`). Plain SVG 1.1, inline in HTML or a file; no scripts, no external resources.
public enum SVGChart {
    /// One line of a plot.
    public struct Series: Sendable {
        public var name: String
        public var color: String
        /// (x, mean, low, high); NaN means are skipped.
        public var points: [(x: Double, y: Double, low: Double, high: Double)]
        /// The marker and dash pattern, so series stay apart in greyscale print (nil marker: the line alone).
        public var marker: Marker? = .circle
        /// SVG `stroke-dasharray` (nil: solid).
        public var dash: String?
        /// Line width.
        public var width: Double = 2
        /// Whether the legend names the series.
        public var inLegend = true

        public init(
            name: String, color: String, points: [(x: Double, y: Double, low: Double, high: Double)],
            marker: Marker? = .circle, dash: String? = nil, width: Double = 2, inLegend: Bool = true
        ) {
            self.name = name
            self.color = color
            self.points = points
            self.marker = marker
            self.dash = dash
            self.width = width
            self.inLegend = inLegend
        }
    }

    /// Point markers, distinct in shape.
    public enum Marker: CaseIterable, Sendable {
        case circle, square, triangle, diamond, cross, plus, triangleDown, star

        /// The marker's SVG at (x, y).
        func svg(_ x: Double, _ y: Double, color: String) -> String {
            let r = 4.0
            func poly(_ points: [(Double, Double)], fill: String) -> String {
                "<polygon points=\"" + points.map { "\(f(x + $0.0)),\(f(y + $0.1))" }.joined(separator: " ")
                    + "\" fill=\"\(fill)\" stroke=\"\(color)\" stroke-width=\"1.2\"/>\n"
            }
            switch self {
            case .circle: return "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"3.5\" fill=\"\(color)\"/>\n"
            case .square: return poly([(-r, -r), (r, -r), (r, r), (-r, r)], fill: "white")
            case .triangle: return poly([(0, -r - 1), (r, r), (-r, r)], fill: color)
            case .diamond: return poly([(0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)], fill: "white")
            case .triangleDown: return poly([(0, r + 1), (r, -r), (-r, -r)], fill: "white")
            case .star:
                let points = (0..<10).map { i -> (Double, Double) in
                    let angle = Double(i) * .pi / 5 - .pi / 2, radius = i % 2 == 0 ? r + 1.5 : r / 2
                    return (radius * cos(angle), radius * sin(angle))
                }
                return poly(points, fill: color)
            case .cross:
                return line(x - r, y - r, x + r, y + r, stroke: color, width: 1.8)
                    + line(x - r, y + r, x + r, y - r, stroke: color, width: 1.8)
            case .plus:
                return line(x - r - 1, y, x + r + 1, y, stroke: color, width: 1.8)
                    + line(x, y - r - 1, x, y + r + 1, stroke: color, width: 1.8)
            }
        }
    }

    /// The n-th of distinct styles: colour, marker and dash pattern cycle at different periods.
    public static func style(_ n: Int) -> (color: String, marker: Marker, dash: String?) {
        let colors = [
            "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f",
            "#bcbd22",
        ]
        let dashes: [String?] = [nil, "6 3", "2 2", "8 3 2 3", "4 4"]
        return (colors[n % colors.count], Marker.allCases[n % Marker.allCases.count], dashes[n % dashes.count])
    }

    static let width = 520.0, height = 320.0
    static let left = 58.0, right = 170.0, top = 30.0, bottom = 48.0

    /// How a value axis maps values to lengths.
    public enum Scale: Sendable {
        case linear
        /// log10, over whole decades.
        case log
    }

    /// Where the x axis is labelled.
    public enum XTicks: Sendable {
        /// At every x of the data (a sweep's few SNRs).
        case points
        /// At about five round values, the axis spanning whole units (a dense sweep).
        case round
    }

    /// A value axis: linear over `lo`…`hi`, or log over the decades 10^`lo`…10^`hi`.
    struct ValueAxis {
        var scale: Scale
        var lo: Double
        var hi: Double

        /// The value's place along the axis, 0 at `lo` to 1 at `hi`, clamped.
        func fraction(_ v: Double) -> Double {
            let t = scale == .log ? (v > 0 ? (log10(v) - lo) / (hi - lo) : 0) : (v - lo) / (hi - lo)
            return min(max(t, 0), 1)
        }

        /// Grid values: about five round ones, or every decade.
        var ticks: [Double] {
            scale == .log ? stride(from: lo, through: hi, by: 1).map { pow(10, $0) } : SVGChart.ticks(lo, hi)
        }

        /// A grid value's label (a decade below 1 as `1e-3`).
        func label(_ v: Double) -> String {
            scale == .log && v < 1 ? "1e\(Int(log10(v).rounded()))" : SVGChart.format(v)
        }
    }

    /// A line plot of `series` against x, with whiskers for the intervals and a legend on the right.
    /// `id` names the element (`plot-ID`) so tests and readers can find it. A linear y axis spans `yRange`, or
    /// the data with a margin; a log one the data's decades within `yRange` (non-positive values are not drawn).
    public static func linePlot(
        id: String, title: String, xLabel: String, yLabel: String, series: [Series], yRange: ClosedRange<Double>? = nil,
        yScale: Scale = .linear, xTicks: XTicks = .points
    ) -> String {
        var xs = series.flatMap { $0.points.map(\.x) }
        let ys = series.flatMap { $0.points.flatMap { [$0.y, $0.low, $0.high] } }.filter(\.isFinite)
        var xMin = xs.min() ?? 0, xMax = max(xs.max() ?? 1, (xs.min() ?? 0) + 1e-9)
        if xTicks == .round {
            xMin = xMin.rounded(.down)
            xMax = max(xMax.rounded(.up), xMin + 1)
            xs = ticks(xMin, xMax)
        }
        let y: ValueAxis
        switch yScale {
        case .linear:
            var yMin = yRange?.lowerBound ?? (ys.min() ?? 0)
            var yMax = yRange?.upperBound ?? (ys.max() ?? 1)
            if yRange == nil {
                if yMax - yMin < 1e-9 {
                    yMin -= 0.5
                    yMax += 0.5
                }
                let pad = (yMax - yMin) * 0.05
                yMin -= pad
                yMax += pad
            }
            y = ValueAxis(scale: .linear, lo: yMin, hi: yMax)
        case .log:
            let positive = ys.filter { $0 > 0 }
            var lo = log10(positive.min() ?? 1e-6).rounded(.down), hi = log10(positive.max() ?? 1).rounded(.up)
            if let yRange {
                lo = max(lo, log10(yRange.lowerBound).rounded(.down))
                hi = min(hi, log10(yRange.upperBound).rounded(.up))
            }
            y = ValueAxis(scale: .log, lo: lo, hi: max(hi, lo + 1))
        }
        let plotW = width - left - right, plotH = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * plotW }
        func py(_ v: Double) -> Double { top + (1 - y.fraction(v)) * plotH }
        var s = svgOpen(id: "plot-\(id)", title: title)
        s += axes(plotW: plotW, plotH: plotH, xLabel: xLabel, yLabel: yLabel)
        for t in y.ticks {
            s += line(left - 4, py(t), left + plotW, py(t), stroke: "#e4e4e4")
            s += text(left - 7, py(t) + 4, y.label(t), anchor: "end")
        }
        for t in Array(Set(xs)).sorted() {
            s += line(px(t), top + plotH, px(t), top + plotH + 4, stroke: "#444")
            s += text(px(t), top + plotH + 17, format(t), anchor: "middle")
        }
        var legendRow = 0
        for serie in series {
            let valid = serie.points.filter { $0.y.isFinite && (yScale == .linear || $0.y > 0) }
            if valid.count > 1 {
                let path = valid.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                let dash = serie.dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
                s +=
                    "<polyline fill=\"none\" stroke=\"\(serie.color)\" stroke-width=\"\(f(serie.width))\"\(dash) "
                    + "points=\"\(path)\"/>\n"
            }
            for p in valid {
                if p.low.isFinite && p.high.isFinite && p.high > p.low {
                    s += line(px(p.x), py(p.low), px(p.x), py(p.high), stroke: serie.color, width: 1)
                    s += line(px(p.x) - 3, py(p.low), px(p.x) + 3, py(p.low), stroke: serie.color, width: 1)
                    s += line(px(p.x) - 3, py(p.high), px(p.x) + 3, py(p.high), stroke: serie.color, width: 1)
                }
                s += serie.marker?.svg(px(p.x), py(p.y), color: serie.color) ?? ""
            }
            guard serie.inLegend else { continue }
            let ly = top + 10 + Double(legendRow) * 16
            legendRow += 1
            let dash = serie.dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
            s +=
                "<line x1=\"\(f(width - right + 8))\" y1=\"\(f(ly))\" x2=\"\(f(width - right + 32))\" y2=\"\(f(ly))\" "
                + "stroke=\"\(serie.color)\" stroke-width=\"\(f(serie.width))\"\(dash)/>\n"
            s += serie.marker?.svg(width - right + 20, ly, color: serie.color) ?? ""
            s +=
                "<text x=\"\(f(width - right + 36))\" y=\"\(f(ly + 4))\" text-anchor=\"start\" font-size=\"9\">"
                + "\(escape(serie.name))</text>\n"
        }
        return s + "</svg>\n"
    }

    /// A bar chart: one bar per (label, value), on a log scale when the values span more than two decades.
    public static func barChart(
        id: String, title: String, yLabel: String, bars: [(label: String, value: Double, color: String)]
    )
        -> String
    {
        let positive = bars.map(\.value).filter { $0 > 0 && $0.isFinite }
        let maxV = positive.max() ?? 1, minV = positive.min() ?? 1
        let logScale = maxV / minV > 100
        let plotW = width - left - 20, plotH = height - top - bottom
        let y =
            logScale
            ? ValueAxis(scale: .log, lo: floor(log10(minV)), hi: ceil(log10(maxV)))
            : ValueAxis(scale: .linear, lo: 0, hi: maxV * 1.1)
        func py(_ v: Double) -> Double { top + (1 - y.fraction(v)) * plotH }
        var s = svgOpen(id: "bars-\(id)", title: title)
        s += axes(plotW: plotW, plotH: plotH, xLabel: "", yLabel: yLabel + (logScale ? " (log scale)" : ""))
        for t in y.ticks {
            s += line(left - 4, py(t), left + plotW, py(t), stroke: "#e4e4e4")
            s += text(left - 7, py(t) + 4, y.label(t), anchor: "end")
        }
        let slot = plotW / Double(max(bars.count, 1))
        for (n, bar) in bars.enumerated() {
            let x = left + Double(n) * slot + slot * 0.15, w = slot * 0.7
            let y = bar.value > 0 ? py(bar.value) : top + plotH
            s +=
                "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(w))\" height=\"\(f(top + plotH - y))\" fill=\"\(bar.color)\"/>\n"
            s += text(x + w / 2, y - 5, bar.value > 0 ? format(bar.value) : "0", anchor: "middle")
            s += text(x + w / 2, top + plotH + 17, bar.label, anchor: "middle")
        }
        return s + "</svg>\n"
    }

    // MARK: - Pieces

    static func svgOpen(id: String, title: String) -> String {
        "<svg id=\"\(escape(id))\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
            + "<title>\(escape(title))</title>\n"
            + "<text x=\"\(f(width / 2))\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">"
            + "\(escape(title))</text>\n"
    }

    static func axes(plotW: Double, plotH: Double, xLabel: String, yLabel: String) -> String {
        var s = line(left, top, left, top + plotH, stroke: "#444")
        s += line(left, top + plotH, left + plotW, top + plotH, stroke: "#444")
        s += text(left + plotW / 2, height - 10, xLabel, anchor: "middle")
        s +=
            "<text x=\"14\" y=\"\(f(top + plotH / 2))\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 14 \(f(top + plotH / 2)))\">\(escape(yLabel))</text>\n"
        return s
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1)
        -> String
    {
        "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(f(width))\"/>\n"
    }

    static func text(_ x: Double, _ y: Double, _ content: String, anchor: String) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\">\(escape(content))</text>\n"
    }

    /// About five round tick values spanning lo…hi.
    static func ticks(_ lo: Double, _ hi: Double) -> [Double] {
        guard hi > lo else { return [lo] }
        let raw = (hi - lo) / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var t = ceil(lo / step) * step, out: [Double] = []
        while t <= hi + step * 1e-9 {
            out.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return out
    }

    static func format(_ v: Double) -> String {
        if abs(v) >= 10_000 { return String(format: "%.3g", v) }
        if v == v.rounded() { return String(Int(v)) }
        return String(format: abs(v) < 1 ? "%.2f" : "%.3g", v)
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
