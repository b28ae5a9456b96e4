import NIOCore

/// ERROR (type 6): a fatal problem with the connection; its sender closes the connection right after.
public struct ErrorMessage: Sendable, Equatable {
    /// What went wrong.
    public var code: WireErrorCode
    /// A human-readable explanation (≤ 1024 UTF-8 bytes).
    public var text: String

    public init(code: WireErrorCode, text: String) {
        self.code = code
        self.text = text
    }

    /// The ERROR that reports `error`, its text cut to the 1024-byte limit.
    public init(_ error: WireError) {
        self.init(code: error.errorCode, text: Self.fitting(error.description))
    }

    /// `text` shortened (on a character boundary) to at most 1024 UTF-8 bytes.
    public static func fitting(_ text: String) -> String {
        guard text.utf8.count > WireProtocol.maxTextBytes else { return text }
        var result = ""
        for character in text {
            if result.utf8.count + character.utf8.count > WireProtocol.maxTextBytes { break }
            result.append(character)
        }
        return result
    }

    func validate() throws {
        try FieldRules.text(text, in: "ERROR")
    }

    func writeBody(into buffer: inout ByteBuffer) {
        buffer.writeInteger(code.rawValue, endianness: .big)
        buffer.writeLengthPrefixed(text)
    }

    static func read(from reader: inout BodyReader) throws -> ErrorMessage {
        ErrorMessage(
            code: WireErrorCode(rawValue: try reader.integer("code")),
            text: try reader.string("text", maxBytes: WireProtocol.maxTextBytes))
    }
}
