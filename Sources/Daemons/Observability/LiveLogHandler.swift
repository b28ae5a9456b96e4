import Foundation
import Logging

/// How the daemons write their live transmission logs.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `2026-11-25T10:00:00.123Z info relay: frame relayed channel.model=awgn-psnr frame.id=3 …`
    case text
    /// One JSON object per line: `{"ts":"…","level":"info","label":"relay","message":"frame relayed","frame.id":3,…}`
    case json
}

/// A `LogHandler` that writes one line per event to standard error, as text or JSON, and hands every
/// event at `info` or above to `DaemonEvents` when a side port listens (whatever `level` is).
///
/// Each line goes out in a single `write(2)`, so lines of concurrent connections never interleave
/// and a process reading the pipe sees complete lines as soon as they happen (no buffering).
/// Metadata keys are sorted so that lines of the same event line up.
public struct LiveLogHandler: LogHandler {
    /// What swift-log hands this handler: `level`, or `info` when that is lower and events are published.
    public var logLevel: Logger.Level
    /// The lowest level written to standard error.
    private let writtenLevel: Logger.Level
    private let events: DaemonEvents?
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let format: LogFormat
    private let fileDescriptor: Int32

    /// A handler for loggers labelled `label` (the daemon's role: `sender`, `relay`, `receiver`).
    public init(
        label: String, format: LogFormat, level: Logger.Level, fileDescriptor: Int32 = 2, events: DaemonEvents? = nil
    ) {
        self.label = label
        self.format = format
        self.writtenLevel = level
        self.logLevel = events == nil ? level : min(level, .info)
        self.events = events
        self.fileDescriptor = fileDescriptor
    }

    /// Bootstraps swift-log with this handler; call once, from `main`. With `events`, every event at
    /// `info` or above is also published there.
    public static func bootstrap(
        format: LogFormat, level: Logger.Level, events: DaemonEvents? = nil, fileDescriptor: Int32 = 2
    ) {
        LoggingSystem.bootstrap { label in
            LiveLogHandler(label: label, format: format, level: level, fileDescriptor: fileDescriptor, events: events)
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let now = Date()
        if let events, event.level >= .info {
            events.publish(
                DaemonEvent(
                    date: now, level: event.level, label: label, message: "\(event.message)",
                    metadata: Self.withoutFolders(merged)))
        }
        guard event.level >= writtenLevel else { return }
        let line = Self.format(
            date: now, level: event.level, label: label, message: "\(event.message)", metadata: merged,
            format: format)
        let bytes = Array(line.utf8)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(fileDescriptor, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }

    /// Metadata keys that hold file-system paths, and how many trailing components the event feed keeps.
    static let pathKeys: [String: Int] = ["file": 2, "input": 1, "out": 1]

    /// `metadata` with paths cut to their last components (`ORIGIN/NAME.png`, the input folder's name):
    /// the event feed is readable without a token, and where the daemon keeps its files is nobody's
    /// business there. Standard error keeps whole paths.
    public static func withoutFolders(_ metadata: Logger.Metadata) -> Logger.Metadata {
        var metadata = metadata
        for (key, kept) in pathKeys {
            guard let value = metadata[key] else { continue }
            let parts = "\(value)".split(separator: "/", omittingEmptySubsequences: true)
            metadata[key] = .string(parts.suffix(kept).joined(separator: "/"))
        }
        return metadata
    }

    /// One formatted line, newline included.
    static func format(
        date: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, format: LogFormat
    ) -> String {
        let timestamp = Self.timestamp(date)
        let keys = metadata.keys.sorted()
        switch format {
        case .text:
            var line = "\(timestamp) \(level) \(label): \(message)"
            for key in keys { line += " \(key)=\(textValue(metadata[key]!))" }
            return line + "\n"
        case .json:
            var line = "{\"ts\":\(jsonString(timestamp)),\"level\":\(jsonString(level.rawValue)),"
            line += "\"label\":\(jsonString(label)),\"message\":\(jsonString(message))"
            for key in keys { line += ",\(jsonString(key)):\(jsonValue(metadata[key]!))" }
            return line + "}\n"
        }
    }

    /// ISO 8601 in UTC with milliseconds: `2026-11-25T10:00:00.123Z`.
    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        let millis = Int((date.timeIntervalSince1970 - Double(seconds)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), millis)
    }

    private static func textValue(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text):
            return text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) || text.isEmpty
                ? jsonString(text) : text
        case .stringConvertible(let convertible):
            return textValue(.string(convertible.description))
        case .array(let items):
            return "[" + items.map(textValue).joined(separator: ",") + "]"
        case .dictionary(let entries):
            return "{" + entries.keys.sorted().map { "\($0)=\(textValue(entries[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    private static func jsonValue(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text):
            return jsonString(text)
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as any BinaryInteger: return "\(number)"
            case let number as Double: return number.isFinite ? "\(number)" : "null"
            case let number as Float: return number.isFinite ? "\(number)" : "null"
            case let flag as Bool: return flag ? "true" : "false"
            case is LogAbsent: return "null"
            default: return jsonString(convertible.description)
            }
        case .array(let items):
            return "[" + items.map(jsonValue).joined(separator: ",") + "]"
        case .dictionary(let entries):
            return "{"
                + entries.keys.sorted().map { "\(jsonString($0)):\(jsonValue(entries[$0]!))" }
                .joined(separator: ",") + "}"
        }
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// A value that is absent (no measurement, no certificate name): `none` in text lines, `null` in JSON.
struct LogAbsent: CustomStringConvertible, Sendable {
    var description: String { "none" }
}

extension Logger.MetadataValue {
    /// Absent: `none` in text lines, `null` in JSON ones.
    static let absent = Logger.MetadataValue.stringConvertible(LogAbsent())

    /// A number with `digits` decimals (for dB figures and milliseconds), or absent.
    static func decimal(_ value: Double?, digits: Int = 2) -> Logger.MetadataValue {
        guard let value, value.isFinite else { return .absent }
        let scale = pow(10, Double(digits))
        return .stringConvertible((value * scale).rounded() / scale)
    }
}
