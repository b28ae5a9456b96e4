import NIOCore

/// Splits a byte stream into `WireMessage`s, for `ByteToMessageHandler(WireFrameDecoder())`.
///
/// It refuses garbage after at most 4 bytes and a body length over `limits.maxBodyLength` as soon as the
/// 12 bytes holding it arrive, so a peer can never make it wait for (or buffer) an oversized body. A thrown
/// `WireError` is fatal for the connection: send `ErrorMessage(error)` and close. Payloads are not inflated
/// here; the receiver decodes them per frame and NACKs what fails.
public struct WireFrameDecoder: NIOSingleStepByteToMessageDecoder, Sendable {
    public typealias InboundOut = WireMessage

    /// Versions accepted in the envelope (after negotiation, just the negotiated one).
    public var supportedVersions: ClosedRange<UInt8>
    /// Limits checked before anything is allocated.
    public var limits: WireLimits

    public init(supportedVersions: ClosedRange<UInt8> = WireProtocol.supportedVersions, limits: WireLimits = .default) {
        self.supportedVersions = supportedVersions
        self.limits = limits
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> WireMessage? {
        try WireMessage.decode(from: &buffer, supportedVersions: supportedVersions, limits: limits)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> WireMessage? {
        if let message = try decode(buffer: &buffer) { return message }
        if seenEOF, buffer.readableBytes > 0 {
            throw WireError.truncated("the connection closed \(buffer.readableBytes) bytes into a frame")
        }
        return nil
    }
}

/// Writes `WireMessage`s as frames, for `MessageToByteHandler(WireFrameEncoder())`.
public struct WireFrameEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = WireMessage

    /// The largest body it will write.
    public var limits: WireLimits

    public init(limits: WireLimits = .default) {
        self.limits = limits
    }

    /// Each frame carries the lowest version that defines it (PROTOCOL.md §4); the sessions never send a
    /// message above the version they negotiated.
    public func encode(data: WireMessage, out: inout ByteBuffer) throws {
        try data.encode(into: &out, limits: limits)
    }
}
