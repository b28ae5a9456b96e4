import Foundation

/// A time-varying SNR for the relay (`--snr-schedule FILE`, `POST /channel/schedule`): points
/// `(seconds, dB)` from the moment the schedule starts, held (step) or interpolated (linear) between
/// points, optionally looping — to replay a fading trace or a drive test.
///
/// CSV: one `seconds,snr_db` pair per line; a header line, blank lines and `#` comments are skipped.
/// Points are taken in time order; of points with the same time the last one given counts.
public struct SNRSchedule: Sendable, Equatable {
    /// How the SNR moves between two points of the schedule.
    public enum Interpolation: String, Sendable, CaseIterable { case step, linear }

    /// Strictly increasing times (s, ≥ 0) and their SNRs (dB): 16 bytes per point (at most 100000).
    public let points: [(seconds: Double, dB: Double)]
    /// FNV-1a 64 of the points, interpolation and loop, in hex: tells two schedules apart without their
    /// points (`GET /channel` shows it; the points have their own route).
    public let digest: String
    public let interpolation: Interpolation
    /// Start again after the last point (period: the last point's time).
    public let loops: Bool

    public static func == (a: SNRSchedule, b: SNRSchedule) -> Bool {
        a.interpolation == b.interpolation && a.loops == b.loops && a.points.count == b.points.count
            && zip(a.points, b.points).allSatisfy { $0.seconds == $1.seconds && $0.dB == $1.dB }
    }

    public init(points: [(seconds: Double, dB: Double)], interpolation: Interpolation = .step, loops: Bool = false)
        throws(ChannelSettingsError)
    {
        guard !points.isEmpty else {
            throw ChannelSettingsError(field: "points", message: "a schedule needs at least one point")
        }
        guard points.count <= 100_000 else {
            throw ChannelSettingsError(field: "points", message: "at most 100000 points")
        }
        for (i, p) in points.enumerated() {
            guard p.seconds.isFinite, p.seconds >= 0, p.seconds <= 1e9, p.dB.isFinite, abs(p.dB) <= 200 else {
                throw ChannelSettingsError(
                    field: "points", message: "point \(i + 1): seconds must be 0…1e9 and dB −200…200")
            }
        }
        // Time order; a repeated time keeps the last point given (a stable sort keeps input order).
        var ordered: [(seconds: Double, dB: Double)] = []
        for p in points.enumerated().sorted(by: { ($0.element.seconds, $0.offset) < ($1.element.seconds, $1.offset) }) {
            if ordered.last?.seconds == p.element.seconds { ordered.removeLast() }
            ordered.append(p.element)
        }
        self.points = ordered
        self.interpolation = interpolation
        // A schedule whose points all sit at 0 s has nothing to repeat.
        self.loops = loops && ordered.last!.seconds > 0
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ word: UInt64) {
            for shift in stride(from: 0, to: 64, by: 8) {
                hash = (hash ^ (word >> UInt64(shift) & 0xFF)) &* 0x0000_0100_0000_01B3
            }
        }
        for point in ordered {
            mix(point.seconds.bitPattern)
            mix(point.dB.bitPattern)
        }
        mix(interpolation == .linear ? 1 : 0)
        mix(self.loops ? 1 : 0)
        digest = String(hash, radix: 16)
    }

    /// A decimal number as written in CSV: digits, sign, point and exponent only (`Double("1\0…")` would
    /// read a number out of a field with a NUL and junk after it).
    static func number(_ field: String) -> Double? {
        guard !field.isEmpty, field.utf8.allSatisfy({ "0123456789+-.eE".utf8.contains($0) }) else { return nil }
        return Double(field)
    }

    /// The index of the point in force `elapsed` seconds after the start (the segment it begins).
    public func segment(at elapsed: Double) -> Int {
        var t = max(0, elapsed)
        if loops, let period = points.last?.seconds, period > 0 { t = t.truncatingRemainder(dividingBy: period) }
        guard t >= points[0].seconds else { return 0 }
        var low = 0, high = points.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if points[mid].seconds <= t { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// Parses `seconds,snr_db` lines.
    public init(csv text: String, interpolation: Interpolation = .step, loops: Bool = false)
        throws(ChannelSettingsError)
    {
        var points: [(Double, Double)] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 2, let t = Self.number(fields[0]), let db = Self.number(fields[1]) else {
                if points.isEmpty && number == 0 && fields.count == 2 { continue }  // a header line
                throw ChannelSettingsError(
                    field: "points", message: "line \(number + 1): expected seconds,snr_db, got '\(line)'")
            }
            points.append((t, db))
        }
        try self.init(points: points, interpolation: interpolation, loops: loops)
    }

    /// The SNR `elapsed` seconds after the schedule started.
    public func snr(at elapsed: Double) -> Double {
        var t = max(0, elapsed)
        if loops, let period = points.last?.seconds, period > 0 { t = t.truncatingRemainder(dividingBy: period) }
        guard t >= points[0].seconds else { return points[0].dB }
        let low = segment(at: elapsed)  // the last point at or before t
        guard interpolation == .linear, low + 1 < points.count else { return points[low].dB }
        let a = points[low], b = points[low + 1]
        return a.dB + (b.dB - a.dB) * (t - a.seconds) / (b.seconds - a.seconds)
    }
}
