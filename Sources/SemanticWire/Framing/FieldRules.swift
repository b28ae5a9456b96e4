import Foundation

/// Validation rules shared by the messages; each throws `WireError.invalidField` naming the message and field.
enum FieldRules {
    /// A frame name is a file stem: 1…255 UTF-8 bytes in Unicode NFC, no '/', '\\', control characters (C0,
    /// DEL, C1) or bidirectional formatting characters, no leading '.'.
    ///
    /// Why NFC and no bidi controls: the name becomes a file name shown to people. Two spellings of one
    /// visible name (NFC "é" and NFD "e" + U+0301) would be two files that look alike, and a right-to-left
    /// override can make `gpj.exe` read as `exe.jpg`.
    static func frameName(_ name: String, in message: String) throws {
        let bytes = name.utf8.count
        guard (1...WireProtocol.maxNameBytes).contains(bytes) else {
            throw WireError.invalidField(
                "\(message) name must be 1…\(WireProtocol.maxNameBytes) UTF-8 bytes, got \(bytes)")
        }
        if name.hasPrefix(".") {
            throw WireError.invalidField("\(message) name \"\(name)\" must not start with '.'")
        }
        if name.unicodeScalars.contains(where: { $0 == "/" || $0 == "\\" || WireProtocol.isControl($0) }) {
            throw WireError.invalidField(
                "\(message) name \"\(name.debugDescription)\" must not contain '/', '\\' or control characters")
        }
        if name.unicodeScalars.contains(where: isBidiControl) {
            throw WireError.invalidField(
                "\(message) name \"\(name.debugDescription)\" must not contain bidirectional formatting characters")
        }
        if !Array(name.utf8).elementsEqual(Array(WireProtocol.normalizedName(name).utf8)) {
            throw WireError.invalidField("\(message) name \"\(name.debugDescription)\" must be in Unicode NFC")
        }
    }

    /// Unicode's bidirectional formatting characters: ALM, LRM/RLM, the embeddings and overrides
    /// (U+202A…U+202E) and the isolates (U+2066…U+2069).
    static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// A peer name: 1…255 UTF-8 bytes without control characters (or empty where `allowEmpty`).
    static func peerName(_ name: String, field: String, in message: String, allowEmpty: Bool = false) throws {
        let bytes = name.utf8.count
        let lower = allowEmpty ? 0 : 1
        guard (lower...WireProtocol.maxNameBytes).contains(bytes) else {
            throw WireError.invalidField(
                "\(message) \(field) must be \(lower)…\(WireProtocol.maxNameBytes) UTF-8 bytes, got \(bytes)")
        }
        if name.unicodeScalars.contains(where: WireProtocol.isControl) {
            throw WireError.invalidField("\(message) \(field) must not contain control characters")
        }
    }

    /// Free text: at most 1024 UTF-8 bytes.
    static func text(_ text: String, in message: String) throws {
        let bytes = text.utf8.count
        guard bytes <= WireProtocol.maxTextBytes else {
            throw WireError.invalidField(
                "\(message) text is \(bytes) UTF-8 bytes; the limit is \(WireProtocol.maxTextBytes)")
        }
    }
}

extension WireProtocol {
    /// Whether `scalar` is a control character no name may hold: C0 controls, DEL and C1 controls
    /// (U+0080…U+009F).
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// `name` in Unicode Normalization Form C, the form frame names travel in: a sender normalises the
    /// file stems it reads (a macOS file system hands out NFD) before it sends them.
    public static func normalizedName(_ name: String) -> String { name.precomposedStringWithCanonicalMapping }
}
