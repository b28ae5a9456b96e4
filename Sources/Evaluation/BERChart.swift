import ChannelModels

extension SVGChart {
    /// The BER curves of `semcom channel --plot`: x = Es/N0 (or Eb/N0 with `ebN0Axis`) in dB, y = the bit error
    /// rate after decoding on a log axis (decades, 1e-9 at the lowest), one line with markers per run and its
    /// uncoded theory dashed in the same colour. Points without errors are not drawn (no decade holds 0).
    public static func berPlot(runs: [(label: String, points: [LinkSimulation.Point])], ebN0Axis: Bool) -> String {
        let axis = ebN0Axis ? "Eb/N0" : "Es/N0"
        func x(_ p: LinkSimulation.Point) -> Double { ebN0Axis ? p.ebN0DB : p.esN0DB }
        var series: [Series] = []
        for (n, run) in runs.enumerated() {
            let color = style(n).color
            series.append(Series(name: run.label, color: color, points: run.points.map { (x($0), $0.ber, .nan, .nan) }))
            series.append(
                Series(
                    name: "\(run.label), uncoded theory", color: color,
                    points: run.points.compactMap { p in p.theoryBER.map { (x(p), $0, .nan, .nan) } }, marker: nil,
                    dash: theoryDash, width: 1, inLegend: false))
        }
        series.append(
            Series(name: "uncoded theory", color: "#000000", points: [], marker: nil, dash: theoryDash, width: 1))
        return linePlot(
            id: "ber", title: "Bit error rate vs \(axis)", xLabel: "\(axis) (dB)", yLabel: "bit error rate",
            series: series, yRange: 1e-9...1, yScale: .log, xTicks: .round)
    }

    /// The dash pattern of theory curves.
    static let theoryDash = "5 4"
}
