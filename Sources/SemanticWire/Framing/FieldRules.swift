/// Validation rules shared by the messages; each throws `WireError.invalidField` naming the message and field.
enum FieldRules {
    /// A frame name is a file stem: 1…255 UTF-8 bytes, no '/', '\', control characters, no leading '.'.
    static func frameName(_ name: String, in message: String) throws {
        let bytes = name.utf8.count
        guard (1...WireProtocol.maxNameBytes).contains(bytes) else {
            throw WireError.invalidField(
                "\(message) name must be 1…\(WireProtocol.maxNameBytes) UTF-8 bytes, got \(bytes)")
        }
        if name.hasPrefix(".") {
            throw WireError.invalidField("\(message) name \"\(name)\" must not start with '.'")
        }
        if name.unicodeScalars.contains(where: { $0 == "/" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F }) {
            throw WireError.invalidField(
                "\(message) name \"\(name.debugDescription)\" must not contain '/', '\\' or control characters")
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
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
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
