import NIOCore

/// LOST (type 5): the sender gave a frame up after its retries; it travels downstream (relays
/// forward it) so the receiver can log the loss. A frame is never lost silently.
public struct Lost: Sendable, Equatable {
    /// The frame given up.
    public var frameID: UInt64
    /// How many transmissions were made.
    public var attempts: UInt16
    /// The frame's name (same rules as MAP_FRAME's name).
    public var name: String
    /// Why it was given up (≤ 1024 UTF-8 bytes), e.g. the last NACK's text.
    public var text: String

    public init(frameID: UInt64, attempts: UInt16, name: String, text: String) {
        self.frameID = frameID
        self.attempts = attempts
        self.name = name
        self.text = text
    }

    /// Checks the fields against the rules of protocol v1.
    public func validate() throws {
        try FieldRules.frameName(name, in: "LOST")
        try FieldRules.text(text, in: "LOST")
    }

    func writeBody(into buffer: inout ByteBuffer) {
        buffer.writeInteger(frameID, endianness: .big)
        buffer.writeInteger(attempts, endianness: .big)
        buffer.writeLengthPrefixed(name)
        buffer.writeLengthPrefixed(text)
    }

    static func read(from reader: inout BodyReader) throws -> Lost {
        let lost = Lost(
            frameID: try reader.integer("frame id"),
            attempts: try reader.integer("attempts"),
            name: try reader.string("name", maxBytes: WireProtocol.maxNameBytes),
            text: try reader.string("text", maxBytes: WireProtocol.maxTextBytes))
        try lost.validate()
        return lost
    }
}
