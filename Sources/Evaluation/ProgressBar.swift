import Foundation

/// A progress bar on standard error: redrawn in place (`\r`) on a terminal, plain lines otherwise (about 20
/// over a run, so logs stay short).
public final class ProgressBar {
    private let isTerminal: Bool
    private let start = Date()
    private var lastLine = -1
    private let width = 30

    public init(isTerminal: Bool = isatty(STDERR_FILENO) != 0) { self.isTerminal = isTerminal }

    /// Cells that took no time (resumed from an earlier run): left out of the rate.
    private var skipped = 0

    /// Reports `done` of `total` steps; `detail` names the step just finished; `resumed` says it was taken from
    /// an earlier run rather than computed (it counts as done but not in the rate and the time left).
    public func update(_ done: Int, of total: Int, detail: String, resumed: Bool = false) {
        if resumed { skipped += 1 }
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let elapsed = Date().timeIntervalSince(start)
        let computed = done - skipped
        let rate = elapsed > 0 ? Double(computed) / elapsed : 0
        let eta = computed > 0 ? elapsed / Double(computed) * Double(total - done) : 0
        let timing =
            "\(String(format: "%.2f", rate)) cells/s, \(Self.duration(elapsed)) elapsed, "
            + "\(done < total ? (computed > 0 ? Self.duration(eta) : "?") + " left" : "done")"
            + (skipped > 0 ? ", \(skipped) resumed" : "")
        if isTerminal {
            let filled = Int((fraction * Double(width)).rounded(.down))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let line = "\r[\(bar)] \(done)/\(total) \(Int(fraction * 100))% \(timing)  \(detail)"
            FileHandle.standardError.write(Data((line.padding(toLength: 110, withPad: " ", startingAt: 0)).utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            let step = max(1, total / 20)
            guard done == total || done / step != lastLine else { return }
            lastLine = done / step
            FileHandle.standardError.write(
                Data("eval: \(done)/\(total) (\(Int(fraction * 100))%) \(timing) — \(detail)\n".utf8))
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}
