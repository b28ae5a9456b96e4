import NIOCore

/// ACK (type 3): the receiver accepted a frame; relays pass it upstream unchanged.
public struct Ack: Sendable, Equatable {
    /// The acknowledged frame.
    public var frameID: UInt64
    /// The attempt (0 = first transmission) that was accepted.
    public var attempt: UInt16
    /// Accepted now, or a duplicate of a frame accepted earlier.
    public var status: AckStatus

    public init(frameID: UInt64, attempt: UInt16, status: AckStatus = .accepted) {
        self.frameID = frameID
        self.attempt = attempt
        self.status = status
    }

    func writeBody(into buffer: inout ByteBuffer) {
        buffer.writeInteger(frameID, endianness: .big)
        buffer.writeInteger(attempt, endianness: .big)
        buffer.writeInteger(status.rawValue)
    }

    static func read(from reader: inout BodyReader) throws -> Ack {
        Ack(
            frameID: try reader.integer("frame id"),
            attempt: try reader.integer("attempt"),
            status: AckStatus(rawValue: try reader.integer("status")))
    }
}
