import Checksums
import NIOCore

// The envelope of every frame (20 bytes, big-endian):
//   0 magic "SMCM" | 4 version u8 | 5 type u8 | 6 flags u16 | 8 body length u32 | 12 control length u32
//   | 16 header CRC-32 u32
// The header CRC covers envelope bytes 0..<16 followed by the first `control length` bytes of the body.

extension WireMessage {
    /// Appends this message as one complete frame to `buffer`: envelope, control part and payload written once,
    /// in place.
    ///
    /// - Parameters:
    ///   - version: the envelope version; nil writes `requiredVersion`, the lowest version that defines the
    ///     message (PROTOCOL.md §4), so what protocol 1 can say is written exactly as protocol 1 writes it.
    ///   - limits: the body may not exceed `limits.maxBodyLength` bytes.
    /// - Throws: `WireError.invalidField` / `.lengthOverLimit` / `.declaredSizeMismatch` when a field breaks the
    ///   protocol's rules; nothing is appended then.
    public func encode(into buffer: inout ByteBuffer, version: UInt8? = nil, limits: WireLimits = .default) throws {
        try write(into: &buffer, version: version ?? requiredVersion, limits: limits, payload: true)
    }

    /// The lowest protocol version that defines this message: 2 for a context-coded MAP_FRAME, else 1.
    public var requiredVersion: UInt8 {
        if case .mapFrame(let frame) = self { return frame.encoding.requiredVersion }
        return 1
    }

    /// Writes this frame's envelope and control part, then its payload unless `payload` is false (the header
    /// alone, whose size `MapFrame.headerByteCount` needs); the envelope always declares the whole body.
    /// Returns the bytes of envelope and control part. Nothing is left in `buffer` when it throws.
    @discardableResult
    func write(into buffer: inout ByteBuffer, version: UInt8, limits: WireLimits, payload: Bool) throws -> Int {
        guard version >= requiredVersion else {
            throw WireError.invalidField("a \(type) of this kind needs protocol \(requiredVersion), not \(version)")
        }
        var payloadBytes: [UInt8] = []
        switch self {
        case .hello(let hello): try hello.validate()
        case .mapFrame(let frame):
            try frame.validate(limits: limits)
            payloadBytes = frame.payload.bytes
        case .ack: break
        case .nack(let nack): try nack.validate()
        case .lost(let lost): try lost.validate()
        case .error(let error): try error.validate()
        case .bye(let bye): try bye.validate()
        }
        let start = buffer.writerIndex
        if payload {
            buffer.reserveCapacity(minimumWritableBytes: WireProtocol.envelopeSize + 256 + payloadBytes.count)
        }
        // The envelope, its lengths and CRC filled in once the control part is written.
        buffer.writeBytes(WireProtocol.magic)
        buffer.writeInteger(version)
        buffer.writeInteger(type.rawValue)
        buffer.writeInteger(UInt16(0), endianness: .big)
        buffer.writeRepeatingByte(0, count: 12)
        let controlStart = buffer.writerIndex
        switch self {
        case .hello(let hello): hello.writeBody(into: &buffer)
        case .mapFrame(let frame): frame.writeControl(into: &buffer)
        case .ack(let ack): ack.writeBody(into: &buffer)
        case .nack(let nack): nack.writeBody(into: &buffer)
        case .lost(let lost): lost.writeBody(into: &buffer)
        case .error(let error): error.writeBody(into: &buffer)
        case .bye(let bye): bye.writeBody(into: &buffer)
        }
        let controlLength = buffer.writerIndex - controlStart
        let bodyLength = controlLength + payloadBytes.count
        guard bodyLength <= limits.maxBodyLength else {
            buffer.moveWriterIndex(to: start)
            throw WireError.lengthOverLimit(what: "\(type) body", declared: bodyLength, limit: limits.maxBodyLength)
        }
        buffer.setInteger(UInt32(bodyLength), at: start + 8, endianness: .big)
        buffer.setInteger(UInt32(controlLength), at: start + 12, endianness: .big)
        var crc = CRC32.checksum(buffer.viewBytes(at: start, length: 16)!)
        crc = CRC32.checksum(buffer.viewBytes(at: controlStart, length: controlLength)!, continuing: crc)
        buffer.setInteger(crc, at: start + 16, endianness: .big)
        if payload { buffer.writeBytes(payloadBytes) }
        return WireProtocol.envelopeSize + controlLength
    }

    /// This message as the bytes of one frame.
    public func encodedBytes(version: UInt8? = nil, limits: WireLimits = .default) throws -> [UInt8] {
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
            message = .mapFrame(
                try MapFrame.read(control: &reader, compressed: compressed, version: version, limits: limits))
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

extension MapFrame {
    /// Bytes of this frame on the wire besides its compressed payload: the envelope and the control part, hop
    /// annotations included. Counted by writing them alone; the payload is not copied.
    /// - Throws: what `WireMessage.encode` throws for this frame.
    public func headerByteCount(limits: WireLimits = .default) throws -> Int {
        var header = ByteBuffer()
        let message = WireMessage.mapFrame(self)
        return try message.write(into: &header, version: message.requiredVersion, limits: limits, payload: false)
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
