import NIOCore

/// NACK (type 4): the receiver refused one frame; the connection stays open. Relays pass it upstream.
public struct Nack: Sendable, Equatable {
    /// The refused frame.
    public var frameID: UInt64
    /// The attempt (0 = first transmission) that was refused.
    public var attempt: UInt16
    /// Why; `reason.isRetryable` tells the sender whether to retransmit.
    public var reason: NackReason
    /// A human-readable explanation (≤ 1024 UTF-8 bytes), e.g. the `WireError` description.
    public var text: String

    public init(frameID: UInt64, attempt: UInt16, reason: NackReason, text: String) {
        self.frameID = frameID
        self.attempt = attempt
        self.reason = reason
        self.text = text
    }

    func validate() throws {
        try FieldRules.text(text, in: "NACK")
    }

    func writeBody(into buffer: inout ByteBuffer) {
        buffer.writeInteger(frameID, endianness: .big)
        buffer.writeInteger(attempt, endianness: .big)
        buffer.writeInteger(reason.rawValue)
        buffer.writeLengthPrefixed(text)
    }

    static func read(from reader: inout BodyReader) throws -> Nack {
        Nack(
            frameID: try reader.integer("frame id"),
            attempt: try reader.integer("attempt"),
            reason: NackReason(rawValue: try reader.integer("reason")),
            text: try reader.string("text", maxBytes: WireProtocol.maxTextBytes))
    }
}
