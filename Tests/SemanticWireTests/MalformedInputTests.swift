import Checksums
import Imaging
import Link
import NIOCore
import NIOEmbedded
import Testing

@testable import SemanticWire

/// Hostile or broken bytes produce the specific `WireError`, never a crash or an unbounded allocation.
@Suite struct MalformedInputTests {
    func ackBytes() throws -> [UInt8] { try Fixtures.bytes(.ack(Ack(frameID: 5, attempt: 0))) }

    func decode(_ bytes: [UInt8], limits: WireLimits = .default) throws {
        var buffer = ByteBuffer(bytes: bytes)
        _ = try WireMessage.decode(from: &buffer, limits: limits)
    }

    @Test func garbageIsRefusedAfterItsFirstByte() {
        #expect(wireError { try decode(Array("GET / HTTP/1.1\r\n".utf8)) } == .badMagic(found: Array("GET ".utf8)))
        #expect(wireError { try decode([0x53, 0x4D, 0x00]) } == .badMagic(found: [0x53, 0x4D, 0x00]))
    }

    @Test func unknownVersionIsRefused() throws {
        var bytes = try ackBytes()
        let unknown = WireProtocol.supportedVersions.upperBound + 1
        bytes[4] = unknown
        let error = wireError { try decode(bytes) }
        #expect(error == .unsupportedVersion(unknown, supported: WireProtocol.supportedVersions))
        #expect(error?.errorCode == .unsupportedVersion)
    }

    @Test func unknownTypeIsRefused() throws {
        var bytes = try ackBytes()
        bytes[5] = 0x42
        #expect(wireError { try decode(Array(bytes.prefix(6))) } == .unknownType(0x42))
    }

    @Test func oversizedBodyIsRefusedBeforeTheBodyArrives() throws {
        // Only the first 12 bytes of a frame declaring a 4 GiB body: refused at once, nothing awaited.
        let header: [UInt8] = [0x53, 0x4D, 0x43, 0x4D, 1, 2, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        #expect(
            wireError { try decode(header) }
                == .lengthOverLimit(what: "MAP_FRAME body", declared: Int(UInt32.max), limit: 64 << 20))
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(WireFrameDecoder()))
        #expect(throws: WireError.self) { try channel.writeInbound(ByteBuffer(bytes: header)) }
        _ = try? channel.finish()
    }

    @Test func bodyLongerThanAConfiguredLimitIsRefused() throws {
        let bytes = try Fixtures.bytes(.mapFrame(.digital(frameID: 1, name: "a", map: Fixtures.map8x4, classCount: 19)))
        let error = wireError { try decode(bytes, limits: WireLimits(maxBodyLength: 16)) }
        #expect(error?.caseName == "lengthOverLimit")
        #expect(error?.description.contains("limit of 16 bytes") == true)
    }

    @Test func incompleteFrameWaitsAndDeclaredLengthsTooShortAreTruncated() throws {
        let bytes = try ackBytes()
        for cut in 0..<bytes.count {
            var buffer = ByteBuffer(bytes: bytes.prefix(cut))
            #expect(try WireMessage.decode(from: &buffer) == nil)
            #expect(buffer.readableBytes == cut)
        }
        let error = wireError { _ = try WireMessage.decode(bytes: Array(bytes.dropLast())) }
        #expect(error?.caseName == "truncated")
        // A body length (and control length) that stop inside the ACK's fields.
        var short = Array(bytes.prefix(20 + 9))
        short[11] = 9
        short[15] = 9
        let shortError = wireError { try decode(Fixtures.resealed(short)) }
        #expect(shortError?.caseName == "truncated")
        #expect(shortError?.description.contains("attempt") == true)
    }

    @Test func headerCRCMismatchIsDetected() throws {
        var bytes = try ackBytes()
        bytes[20 + 7] ^= 0x01  // frame id bit
        let error = wireError { try decode(bytes) }
        #expect(error?.caseName == "headerCRCMismatch")
        #expect(error?.errorCode == .headerCRCMismatch)
        var envelope = try ackBytes()
        envelope[7] ^= 0x80  // a flag bit: the envelope is under the CRC too
        let envelopeError = wireError { try decode(envelope) }
        #expect(envelopeError?.caseName == "headerCRCMismatch")
    }

    @Test func payloadCorruptionPassesFramingButFailsThePayloadCRC() throws {
        let frame = try MapFrame.digital(frameID: 3, name: "x", map: Fixtures.map8x4, classCount: 19)
        var bytes = try Fixtures.bytes(.mapFrame(frame))
        bytes[bytes.count - 2] ^= 0x04  // inside the compressed bytes, outside the control part
        guard case .mapFrame(let received) = try WireMessage.decode(bytes: bytes) else {
            Issue.record("not a MAP_FRAME")
            return
        }
        let error = wireError { _ = try received.decodeDigitalMap() }
        #expect(error?.caseName == "payloadCRCMismatch")
        #expect(error?.description.hasPrefix("frame 3:") == true)
        #expect(error?.nackReason == .payloadCRCMismatch)
    }

    @Test func controlLengthBeyondTheBodyIsRefused() throws {
        var bytes = try ackBytes()
        bytes[15] = 200
        let error = wireError { try decode(Fixtures.resealed(bytes)) }
        #expect(error?.caseName == "declaredSizeMismatch")
    }

    @Test func declaredUncompressedLengthMustMatchTheMapSize() throws {
        var frame = try MapFrame.digital(frameID: 3, name: "x", map: Fixtures.map8x4, classCount: 19)
        frame.payload.uncompressedLength = 1 << 30
        #expect(
            wireError { _ = try Fixtures.bytes(.mapFrame(frame)) }
                == .declaredSizeMismatch(
                    what: "MAP_FRAME uncompressed length for 8×4 digital", declared: 1 << 30, actual: 32))
        // The same lie on the wire (sealed with a valid header CRC) is refused by the decoder.
        let good = try Fixtures.bytes(.mapFrame(.digital(frameID: 3, name: "x", map: Fixtures.map8x4, classCount: 19)))
        let control = Int(good[15])
        var lying = good
        lying[20 + control - 12] = 0x40  // uncompressed length u32 → 0x40000020
        let error = wireError { try decode(Fixtures.resealed(lying)) }
        #expect(error?.caseName == "declaredSizeMismatch")
    }

    @Test func hugeMapsAreRefusedBeforeInflating() throws {
        // 65535×65535 digital = 4 GiB declared: over the 256 MiB payload limit, refused from the header alone.
        let frame = MapFrame(
            frameID: 1, name: "huge", width: 65535, height: 65535, classCount: 19, encoding: .digital,
            payload: CompressedPayload(uncompressedLength: 65535 * 65535, crc32: 0, bytes: [1, 2, 3]))
        let error = wireError { _ = try Fixtures.bytes(.mapFrame(frame)) }
        #expect(error?.caseName == "lengthOverLimit")
        // Called directly (CRC intact), the payload decoder refuses it from the sizes alone, before inflating.
        let payload = CompressedPayload(
            uncompressedLength: 65535 * 65535, crc32: CRC32.checksum([1, 2, 3]), bytes: [1, 2, 3])
        #expect(
            wireError { _ = try DigitalPayload.decode(payload, width: 65535, height: 65535, classCount: 19) }
                == .lengthOverLimit(what: "digital payload", declared: 65535 * 65535, limit: 256 << 20))
    }

    @Test(arguments: [
        (2, "invalid encoding"), (3, "invalid class count"), (4, "bad name"),
    ])
    func invalidControlFieldsAreRefused(case index: Int, label: String) throws {
        var frame = try MapFrame.digital(frameID: 1, name: "ok", map: Fixtures.map8x4, classCount: 19)
        var bytes = try Fixtures.bytes(.mapFrame(frame))
        switch index {
        case 2: bytes[20 + 8 + 2 + 2 + 2 + 4 + 1] = 9  // encoding byte
        case 3: bytes[20 + 8 + 2 + 2 + 2 + 4] = 0  // class count
        default:
            frame.name = "ab"
            bytes = try Fixtures.bytes(.mapFrame(frame))
            bytes[20 + 8 + 2 + 2] = UInt8(ascii: "/")
        }
        let error = wireError { try decode(Fixtures.resealed(bytes)) }
        #expect(error?.caseName == "invalidField")
        #expect(error?.errorCode == .invalidField)
    }

    @Test func invalidUTF8AndOverlongTextsAreRefused() throws {
        var bytes = try Fixtures.bytes(.bye(Bye(reason: .done, text: "ok")))
        bytes[bytes.count - 1] = 0xFF
        #expect(wireError { try decode(Fixtures.resealed(bytes)) } == .invalidField("BYE text is not valid UTF-8"))
        let error = wireError {
            _ = try Fixtures.bytes(
                .nack(Nack(frameID: 1, attempt: 0, reason: .invalid, text: String(repeating: "x", count: 1025))))
        }
        #expect(error?.caseName == "invalidField")
    }

    @Test func trailingBytesInAControlBodyAreRefused() throws {
        var bytes = try ackBytes()
        bytes.append(0)
        bytes[11] += 1
        bytes[15] += 1
        #expect(
            wireError { try decode(Fixtures.resealed(bytes)) }
                == .invalidField("ACK has 1 unexpected bytes after its last field"))
    }

    @Test func randomGarbageNeverCrashesTheDecoder() throws {
        var generator = SplitMix(seed: 7)
        let valid = try Fixtures.allMessages().map { try Fixtures.bytes($0) }
        for round in 0..<2_000 {
            var bytes = valid[round % valid.count]
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                let position = Int(generator.next() % UInt64(bytes.count))
                bytes[position] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
            }
            // Bit flips anywhere in the control part must be caught (mostly by the header CRC); in the payload
            // they may pass framing. Either way: a WireError or a message, never a crash.
            var buffer = ByteBuffer(bytes: bytes)
            do { _ = try WireMessage.decode(from: &buffer) } catch is WireError {}
        }
    }
}

/// A tiny deterministic generator for the fuzz loop.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A map's declared size is checked before anything is allocated for it (issue: a 67-byte analog frame
/// with no class planes and 65535 × 65535 pixels made a receiver allocate 4.3 GB and abort).
@Suite struct MapSizeLimitTests {
    func frame(width: Int, height: Int, downsample: UInt8 = 1) -> MapFrame {
        MapFrame(
            frameID: 1, name: "huge", width: width, height: height, classCount: 19,
            encoding: .analog(AnalogLayout(downsample: downsample, sampleFormat: .float16, presentClasses: [])),
            payload: CompressedPayload(uncompressedLength: 0, crc32: 0, bytes: []))
    }

    @Test func aHugeMapWithoutPlanesIsRefused() {
        #expect(
            throws: WireError.lengthOverLimit(
                what: "MAP_FRAME map 65535×65535 pixels", declared: 65535 * 65535,
                limit: 2048 * 2048)
        ) {
            try frame(width: 65535, height: 65535).validate()
        }
        #expect(WireError.lengthOverLimit(what: "", declared: 0, limit: 0).nackReason == .invalid)
    }

    @Test func theLimitIsConfigurableAndFullCityscapesFits() throws {
        #expect(throws: Never.self) { try frame(width: 2048, height: 1024, downsample: 4).validate() }
        #expect(throws: WireError.self) {
            try frame(width: 128, height: 64).validate(limits: WireLimits(maxMapPixels: 4096))
        }
    }
}
