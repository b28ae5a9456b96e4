import Checksums
import NIOCore

// The envelope of every frame (20 bytes, big-endian):
//   0 magic "SMCM" | 4 version u8 | 5 type u8 | 6 flags u16 | 8 body length u32 | 12 control length u32
//   | 16 header CRC-32 u32
// The header CRC covers envelope bytes 0..<16 followed by the first `control length` bytes of the body.

extension WireMessage {
    /// Appends this message as one complete frame to `buffer`.
    ///
    /// - Parameters:
    ///   - version: the envelope version (the negotiated one; HELLO always uses 1).
    ///   - limits: the body may not exceed `limits.maxBodyLength` bytes.
    /// - Throws: `WireError.invalidField` / `.lengthOverLimit` / `.declaredSizeMismatch` when a field breaks the
    ///   protocol's rules; nothing is appended then.
    public func encode(into buffer: inout ByteBuffer, version: UInt8 = 1, limits: WireLimits = .default) throws {
        var body = ByteBuffer()
        var mapControlLength: Int?
        switch self {
        case .hello(let hello):
            try hello.validate()
            hello.writeBody(into: &body)
        case .mapFrame(let frame):
            try frame.validate(limits: limits)
            body.reserveCapacity(frame.payload.bytes.count + 256)
            frame.writeControl(into: &body)
            mapControlLength = body.readableBytes
            body.writeBytes(frame.payload.bytes)
        case .ack(let ack):
            ack.writeBody(into: &body)
        case .nack(let nack):
            try nack.validate()
            nack.writeBody(into: &body)
        case .lost(let lost):
            try lost.validate()
            lost.writeBody(into: &body)
        case .error(let error):
            try error.validate()
            error.writeBody(into: &body)
        case .bye(let bye):
            try bye.validate()
            bye.writeBody(into: &body)
        }
        let controlLength = mapControlLength ?? body.readableBytes
        guard body.readableBytes <= limits.maxBodyLength else {
            throw WireError.lengthOverLimit(
                what: "\(type) body", declared: body.readableBytes, limit: limits.maxBodyLength)
        }

        var envelope = ByteBuffer()
        envelope.writeBytes(WireProtocol.magic)
        envelope.writeInteger(version)
        envelope.writeInteger(type.rawValue)
        envelope.writeInteger(UInt16(0), endianness: .big)
        envelope.writeInteger(UInt32(body.readableBytes), endianness: .big)
        envelope.writeInteger(UInt32(controlLength), endianness: .big)
        var crc = CRC32.checksum(envelope.readableBytesView)
        crc = CRC32.checksum(body.readableBytesView.prefix(controlLength), continuing: crc)
        envelope.writeInteger(crc, endianness: .big)

        buffer.writeBuffer(&envelope)
        buffer.writeBuffer(&body)
    }

    /// This message as the bytes of one frame.
    public func encodedBytes(version: UInt8 = 1, limits: WireLimits = .default) throws -> [UInt8] {
        var buffer = ByteBuffer()
        try encode(into: &buffer, version: version, limits: limits)
        return Array(buffer.readableBytesView)
    }

    /// Decodes one frame from the front of `buffer`, consuming it; returns `nil` (consuming nothing)
    /// while the frame is incomplete.
    ///
    /// Checks happen as soon as the bytes they need are there, so garbage is refused after at most
    /// 4 bytes and an oversized body length after 12, before any of the body is awaited or allocated.
    /// - Throws: `WireError` for any framing, header-CRC or control-field problem. The payload is not
    ///   inflated and its CRC not checked here (see `MapFrame.decodeDigitalMap` / `decodeAnalogSymbols`).
    public static func decode(
        from buffer: inout ByteBuffer, supportedVersions: ClosedRange<UInt8> = WireProtocol.supportedVersions,
        limits: WireLimits = .default
    ) throws -> WireMessage? {
        let start = buffer.readerIndex
        let available = buffer.readableBytes
        let magicSeen = buffer.getBytes(at: start, length: min(available, 4)) ?? []
        guard magicSeen == Array(WireProtocol.magic.prefix(magicSeen.count)) else {
            throw WireError.badMagic(found: magicSeen)
        }
        guard available >= 6 else { return nil }
        let version = buffer.getInteger(at: start + 4, as: UInt8.self)!
        guard supportedVersions.contains(version) else {
            throw WireError.unsupportedVersion(version, supported: supportedVersions)
        }
        let typeRaw = buffer.getInteger(at: start + 5, as: UInt8.self)!
        guard let type = MessageType(rawValue: typeRaw) else { throw WireError.unknownType(typeRaw) }
        guard available >= 12 else { return nil }
        let bodyLength = Int(buffer.getInteger(at: start + 8, endianness: .big, as: UInt32.self)!)
        guard bodyLength <= limits.maxBodyLength else {
            throw WireError.lengthOverLimit(what: "\(type) body", declared: bodyLength, limit: limits.maxBodyLength)
        }
        guard available >= WireProtocol.envelopeSize else { return nil }
        let controlLength = Int(buffer.getInteger(at: start + 12, endianness: .big, as: UInt32.self)!)
        guard controlLength <= bodyLength, type == .mapFrame || controlLength == bodyLength else {
            throw WireError.declaredSizeMismatch(
                what: "\(type) control length vs body length", declared: controlLength, actual: bodyLength)
        }
        guard available >= WireProtocol.envelopeSize + bodyLength else { return nil }

        let storedCRC = buffer.getInteger(at: start + 16, endianness: .big, as: UInt32.self)!
        let envelopeBytes = buffer.viewBytes(at: start, length: 16)!
        let controlBytes = buffer.viewBytes(at: start + WireProtocol.envelopeSize, length: controlLength)!
        let computedCRC = CRC32.checksum(controlBytes, continuing: CRC32.checksum(envelopeBytes))
        guard storedCRC == computedCRC else {
            throw WireError.headerCRCMismatch(stored: storedCRC, computed: computedCRC)
        }

        let control = buffer.getSlice(at: start + WireProtocol.envelopeSize, length: controlLength)!
        var reader = BodyReader(control, message: "\(type)")
        let message: WireMessage
        switch type {
        case .hello: message = .hello(try Hello.read(from: &reader))
        case .ack: message = .ack(try Ack.read(from: &reader))
        case .nack: message = .nack(try Nack.read(from: &reader))
        case .lost: message = .lost(try Lost.read(from: &reader))
        case .error: message = .error(try ErrorMessage.read(from: &reader))
        case .bye: message = .bye(try Bye.read(from: &reader))
        case .mapFrame:
            let compressed = buffer.getSlice(
                at: start + WireProtocol.envelopeSize + controlLength, length: bodyLength - controlLength)!
            message = .mapFrame(try MapFrame.read(control: &reader, compressed: compressed, limits: limits))
        }
        if type != .mapFrame { try reader.expectEnd() }
        buffer.moveReaderIndex(forwardBy: WireProtocol.envelopeSize + bodyLength)
        return message
    }

    /// Decodes exactly one complete frame from `bytes`.
    /// - Throws: `WireError.truncated` when the bytes end inside the frame, `.invalidField` when bytes follow it.
    public static func decode(
        bytes: [UInt8], supportedVersions: ClosedRange<UInt8> = WireProtocol.supportedVersions,
        limits: WireLimits = .default
    ) throws -> WireMessage {
        var buffer = ByteBuffer(bytes: bytes)
        guard let message = try decode(from: &buffer, supportedVersions: supportedVersions, limits: limits) else {
            throw WireError.truncated("\(bytes.count) bytes end inside a frame")
        }
        guard buffer.readableBytes == 0 else {
            throw WireError.invalidField("\(buffer.readableBytes) bytes follow the frame")
        }
        return message
    }
}

extension MessageType: CustomStringConvertible {
    public var description: String {
        switch self {
        case .hello: "HELLO"
        case .mapFrame: "MAP_FRAME"
        case .ack: "ACK"
        case .nack: "NACK"
        case .lost: "LOST"
        case .error: "ERROR"
        case .bye: "BYE"
        }
    }
}
