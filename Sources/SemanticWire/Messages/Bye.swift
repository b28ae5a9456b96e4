import NIOCore

/// BYE (type 7): the peer will send nothing more and closes once the other side has answered what is in flight.
public struct Bye: Sendable, Equatable {
    /// Why the peer leaves.
    public var reason: ByeReason
    /// A human-readable note (≤ 1024 UTF-8 bytes), e.g. "16 sent, 16 acknowledged, 0 lost".
    public var text: String

    public init(reason: ByeReason, text: String = "") {
        self.reason = reason
        self.text = text
    }

    func validate() throws {
        try FieldRules.text(text, in: "BYE")
    }

    func writeBody(into buffer: inout ByteBuffer) {
        buffer.writeInteger(reason.rawValue)
        buffer.writeLengthPrefixed(text)
    }

    static func read(from reader: inout BodyReader) throws -> Bye {
        Bye(
            reason: ByeReason(rawValue: try reader.integer("reason")),
            text: try reader.string("text", maxBytes: WireProtocol.maxTextBytes))
    }
}
