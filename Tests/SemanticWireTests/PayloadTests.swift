import Checksums
import Imaging
import Link
import Testing

@testable import SemanticWire

@Suite struct PayloadTests {
    @Test func digitalPayloadRoundTrips() throws {
        let frame = try MapFrame.digital(frameID: 1, name: "a", map: Fixtures.map8x4, classCount: 19)
        #expect(frame.payload.uncompressedLength == 32)
        #expect(frame.payload.isIntact)
        #expect(try frame.decodeDigitalMap() == Fixtures.map8x4)
    }

    @Test func idsOutsideTheLabelSpaceAreRefused() throws {
        var map = Fixtures.map8x4
        map.ids[5] = 19
        let error = wireError { _ = try MapFrame.digital(frameID: 1, name: "a", map: map, classCount: 19) }
        #expect(error?.caseName == "invalidField")
        // Arriving over the wire, the same map is a NACK `invalid`.
        let payload = DigitalPayload.encode(map)
        let arrivalError = wireError { _ = try DigitalPayload.decode(payload, width: 8, height: 4, classCount: 19) }
        #expect(arrivalError?.caseName == "invalidField")
        #expect(arrivalError?.nackReason == .invalid)
    }

    @Test func corruptZlibIsReported() throws {
        var payload = DigitalPayload.encode(Fixtures.map8x4)
        payload.bytes[0] = 0x00  // not a zlib header
        payload.crc32 = CRC32.checksum(payload.bytes)  // a corrupt sender: CRC fine, stream broken
        let error = wireError { _ = try DigitalPayload.decode(payload, width: 8, height: 4, classCount: 19) }
        #expect(error?.caseName == "corruptZlib")
        #expect(error?.nackReason == .undecodable)
        var cut = DigitalPayload.encode(Fixtures.map8x4)
        cut.bytes.removeLast(6)
        cut.crc32 = CRC32.checksum(cut.bytes)
        let cutError = wireError { _ = try DigitalPayload.decode(cut, width: 8, height: 4, classCount: 19) }
        #expect(cutError?.caseName == "corruptZlib")
    }

    @Test func zipBombStopsOneBytePastTheDeclaredSize() throws {
        // 64 MiB of zeros compresses to ~64 KiB; declared as a 16×16 map it must not be inflated.
        let bomb = CompressedPayload(compressing: [UInt8](repeating: 0, count: 64 << 20), level: 9)
        let lying = CompressedPayload(uncompressedLength: 256, crc32: bomb.crc32, bytes: bomb.bytes)
        let error = wireError { _ = try DigitalPayload.decode(lying, width: 16, height: 16, classCount: 19) }
        #expect(error?.caseName == "declaredSizeMismatch")
        #expect(error?.description.hasSuffix("declared 256 bytes but found 257") == true)
        #expect(error?.nackReason == .undecodable)
    }

    @Test func streamShorterThanDeclaredIsRefused() throws {
        let short = CompressedPayload(compressing: [UInt8](repeating: 0, count: 10), level: 9)
        let lying = CompressedPayload(uncompressedLength: 32, crc32: short.crc32, bytes: short.bytes)
        #expect(
            wireError { _ = try DigitalPayload.decode(lying, width: 8, height: 4, classCount: 19) }
                == .declaredSizeMismatch(what: "inflated payload", declared: 32, actual: 10))
    }

    @Test(arguments: [SampleFormat.float16, .float32], [1, 2, 4, 8])
    func analogPayloadRoundTrips(format: SampleFormat, downsample: Int) throws {
        let frame = try MapFrame.analog(
            frameID: 2, name: "b", map: Fixtures.map8x4, classCount: 19, downsample: downsample, sampleFormat: format)
        let symbols = try frame.decodeAnalogSymbols()
        #expect(symbols == (try AnalogPayload.symbols(for: Fixtures.map8x4, classCount: 19, downsample: downsample)))
        #expect(symbols.values.allSatisfy { $0 == 0 || $0 == 1 })
        if downsample == 1 {
            #expect(symbols.classes == [0, 1, 10, 13])
            #expect(symbols.hardDecision(width: 8, height: 4) == Fixtures.map8x4)
        }
    }

    @Test func downsamplingTakesTheBlockMajorityWithTiesToTheLowerID() throws {
        let symbols = try AnalogPayload.symbols(for: Fixtures.map8x4, classCount: 19, downsample: 2)
        #expect(symbols.planeWidth == 4 && symbols.planeHeight == 2)
        // Blocks: row 0 → 10, 10(tie 10/13), 10, void; row 1 → 0, 0(tie 0/13), 0, 1.
        #expect(symbols.classes == [0, 1, 10])
        #expect(
            AnalogPayload.blockMajority(Fixtures.map8x4.ids, width: 8, height: 4, downsample: 2)
                == [10, 10, 10, 255, 0, 0, 0, 1])
        // Edge blocks count only the pixels inside the map.
        let odd = LabelMap(width: 3, height: 3, ids: [1, 1, 2, 1, 1, 2, 3, 3, 2])
        #expect(AnalogPayload.blockMajority(odd.ids, width: 3, height: 3, downsample: 2) == [1, 2, 3, 2])
    }

    @Test func theWiresVoidIsTheLabelMapsVoid() {
        #expect(WireProtocol.voidID == LabelMap.void)
    }

    @Test func noisySymbolsAreReencodedWithAFreshCRC() throws {
        let frame = try MapFrame.analog(frameID: 2, name: "b", map: Fixtures.map8x4, classCount: 19)
        var symbols = try frame.decodeAnalogSymbols()
        for i in symbols.values.indices { symbols.values[i] += Float(i % 7) * 0.0625 - 0.1875 }
        let noisy = try frame.replacingAnalogSymbols(symbols.values)
        #expect(noisy.payload.isIntact)
        #expect(noisy.payload.uncompressedLength == frame.payload.uncompressedLength)
        let received = try WireMessage.decode(bytes: try Fixtures.bytes(.mapFrame(noisy)))
        guard case .mapFrame(let back) = received else {
            Issue.record("not a MAP_FRAME")
            return
        }
        // Multiples of 1/16 below 1 are exact in float16.
        #expect(try back.decodeAnalogSymbols().values == symbols.values)
        #expect(try back.decodeAnalogSymbols().hardDecision(width: 8, height: 4) == Fixtures.map8x4)
        let error = wireError { _ = try frame.replacingAnalogSymbols([1, 2, 3]) }
        #expect(error?.caseName == "invalidField")
    }

    @Test func nonFiniteSymbolsAreRefused() throws {
        let frame = try MapFrame.analog(frameID: 2, name: "b", map: Fixtures.map8x4, classCount: 19)
        var values = try frame.decodeAnalogSymbols().values
        values[3] = .infinity
        let bad = try frame.replacingAnalogSymbols(values)
        let error = wireError { _ = try bad.decodeAnalogSymbols() }
        #expect(error?.caseName == "invalidField")
        #expect(error?.nackReason == .invalid)
    }

    @Test func allVoidMapHasNoPlanes() throws {
        let frame = try MapFrame.analog(frameID: 2, name: "v", map: LabelMap(width: 5, height: 3), classCount: 19)
        #expect(frame.payload.uncompressedLength == 0)
        let symbols = try frame.decodeAnalogSymbols()
        #expect(symbols.classes.isEmpty)
        #expect(symbols.hardDecision(width: 5, height: 3) == LabelMap(width: 5, height: 3))
    }
}
