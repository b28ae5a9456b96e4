import Foundation
import Imaging
import Link
import MapCoding
import NIOCore
import Testing

@testable import SemanticWire

/// The hex vectors in protocol/vectors were written by an independent implementation of PROTOCOL.md
/// (protocol/vectors/generate.py); they must decode to the stated fields and re-encode byte for byte.
@Suite struct VectorTests {
    static let names = [
        "hello", "hello-answer", "map-frame-digital", "map-frame-digital-corrupted", "map-frame-analog",
        "map-frame-analog-relayed", "ack", "nack", "lost", "error", "bye", "hello-v2", "hello-answer-v2",
        "map-frame-context", "map-frame-context-prior", "hello-v3", "hello-answer-v3", "map-frame-hybrid",
        "map-frame-hybrid-relayed", "map-frame-softcast",
    ]

    @Test(arguments: names) func vectorDecodesAndReencodesExactly(name: String) throws {
        let bytes = try Fixtures.vector(name)
        let message = try WireMessage.decode(bytes: bytes)
        #expect(try message.encodedBytes() == bytes)
    }

    @Test func helloVectors() throws {
        let offer = try WireMessage.decode(bytes: Fixtures.vector("hello"))
        #expect(
            offer
                == .hello(Hello(minVersion: 1, maxVersion: 1, role: .sender, peerName: "sender-a", origin: "sender-a")))
        let answer = try WireMessage.decode(bytes: Fixtures.vector("hello-answer"))
        #expect(answer == .hello(.answer(version: 1, role: .receiver, peerName: "receiver-1")))
    }

    @Test func protocolTwoHelloVectors() throws {
        #expect(
            try WireMessage.decode(bytes: Fixtures.vector("hello-v2"))
                == .hello(Hello(minVersion: 1, maxVersion: 2, role: .sender, peerName: "sender-a", origin: "sender-a")))
        let answer = try WireMessage.decode(bytes: Fixtures.vector("hello-answer-v2"))
        #expect(answer == .hello(.answer(version: 2, role: .receiver, peerName: "receiver-1")))
        #expect(try Fixtures.vector("hello-answer-v2")[4] == 1)  // every HELLO's envelope says 1
    }

    @Test func protocolThreeHelloVectors() throws {
        #expect(
            try WireMessage.decode(bytes: Fixtures.vector("hello-v3"))
                == .hello(.offer(role: .sender, peerName: "sender-a", origin: "sender-a")))
        let answer = try WireMessage.decode(bytes: Fixtures.vector("hello-answer-v3"))
        #expect(answer == .hello(.answer(version: 3, role: .receiver, peerName: "receiver-1")))
    }

    /// The vectors' SoftCast symbols: ((i·37) mod 41 − 20)/16, exact in float16 and float32.
    static let layeredSymbols = (0..<64).map { Float(($0 * 37) % 41 - 20) / 16 }

    @Test func layeredVectorsCarryTheirParts() throws {
        guard case .mapFrame(let hybrid) = try WireMessage.decode(bytes: Fixtures.vector("map-frame-hybrid")),
            case .layered(let layout) = hybrid.encoding
        else {
            Issue.record("not a layered MAP_FRAME")
            return
        }
        #expect(layout.mapCoding == .zlib && layout.profile == 0x5AF7_CA57 && layout.sampleFormat == .float16)
        #expect(
            layout.mcs
                == RequestedMCS(modulation: .qpsk, code: .ldpc, rateNumerator: 1, rateDenominator: 2, blockLength: 648))
        let parts = try hybrid.layeredParts()
        #expect(parts.mapIntact && parts.metadataIntact)
        #expect(parts.metadata == [0x78, 0x82, 0x7E, 0xFD, 0x00, 0x01, 0x90])
        #expect(parts.symbols == Self.layeredSymbols)
        // The map part is encoding 1's payload of the 8×4 map.
        let map = MapFrame(
            frameID: hybrid.frameID, name: hybrid.name, width: 8, height: 4, classCount: 19, encoding: .digital,
            payload: CompressedPayload(uncompressedLength: 32, crc32: layout.mapCRC, bytes: parts.map))
        #expect(try map.decodeDigitalMap(prior: nil) == Fixtures.map8x4)
        // A receiver without that profile refuses the layer as invalid, never decodes it.
        let error = #expect(throws: WireError.self) { try LayeredReception(hybrid, profiles: nil, prior: nil) }
        #expect(error?.nackReason == .invalid)

        guard case .mapFrame(let relayed) = try WireMessage.decode(bytes: Fixtures.vector("map-frame-hybrid-relayed"))
        else {
            Issue.record("not a MAP_FRAME")
            return
        }
        let hop = try #require(relayed.hops.first)
        #expect(hop.mode == .layered && hop.channelModel == .phyAWGN && hop.channelUses == 632)
        let damaged = try relayed.layeredParts()
        #expect(!damaged.mapIntact && damaged.metadataIntact, "the hop flipped a map bit and kept the sender's CRC")
        #expect(damaged.symbols == Self.layeredSymbols.map { $0 + 0.125 })
        #expect(LayeredReception.noiseVariance(of: relayed.hops) == 0.5 * pow(10, -1.0))

        guard case .mapFrame(let softcast) = try WireMessage.decode(bytes: Fixtures.vector("map-frame-softcast")),
            case .layered(let alone) = softcast.encoding
        else {
            Issue.record("not a layered MAP_FRAME")
            return
        }
        #expect(alone.mapCoding == .none && alone.mapLength == 0 && alone.sampleFormat == .float32)
        #expect(try softcast.layeredParts().symbols == Self.layeredSymbols)
        #expect(softcast.encoding.name == "softcast" && hybrid.encoding.name == "hybrid")
    }

    @Test func layeredEncodingNeedsProtocolThree() throws {
        var bytes = try Fixtures.vector("map-frame-hybrid")
        #expect(bytes[4] == 3)
        bytes[4] = 2
        #expect(throws: WireError.self) { try WireMessage.decode(bytes: Fixtures.resealed(bytes)) }
        #expect(throws: WireError.self) {
            try WireMessage.decode(bytes: Fixtures.vector("map-frame-hybrid"), supportedVersions: 1...2)
        }
    }

    /// The map of a vector's comment: rows of hex digits (one per id), '.' for void.
    static func commentMap(_ name: String, width: Int) throws -> [UInt8] {
        try Fixtures.vectorText(name).split(separator: "\n")
            .filter {
                $0.hasPrefix("# ") && $0.count == width + 2 && $0.dropFirst(2).allSatisfy { $0 == "." || $0.isHexDigit }
            }
            .flatMap { $0.dropFirst(2).map { $0 == "." ? UInt8(255) : UInt8(String($0), radix: 16)! } }
    }

    @Test func contextVectorsDecodeToTheirMapsAndRecodeExactly() throws {
        guard case .mapFrame(let plain) = try WireMessage.decode(bytes: Fixtures.vector("map-frame-context")) else {
            Issue.record("not a MAP_FRAME")
            return
        }
        #expect(plain.encoding == .context(prior: 0) && plain.frameID == 43 && plain.width == 8 && plain.height == 4)
        #expect(try plain.decodeDigitalMap(prior: nil) == Fixtures.map8x4)
        // Python's encoder (written from the spec) and this one write the same bytes.
        #expect(
            MapCoder.modelBody(ids: Fixtures.map8x4.ids, width: 8, height: 4, classCount: 19, prior: nil)
                == plain.payload.bytes)

        let prior = try MapPrior(path: Fixtures.root.appendingPathComponent("models/map-prior/prior.safetensors").path)
        guard case .mapFrame(let street) = try WireMessage.decode(bytes: Fixtures.vector("map-frame-context-prior"))
        else {
            Issue.record("not a MAP_FRAME")
            return
        }
        let ids = try Self.commentMap("map-frame-context-prior", width: 32)
        #expect(ids.count == 32 * 16)
        #expect(street.encoding == .context(prior: prior.identity), "the vector names the shipped prior")
        #expect(try street.decodeDigitalMap(prior: prior).ids == ids)
        #expect(
            MapCoder.modelBody(ids: ids, width: 32, height: 16, classCount: 19, prior: prior) == street.payload.bytes)
        // Another prior, or none, is refused as invalid (the receiver NACKs it), never decoded to garbage.
        let error = #expect(throws: WireError.self) { try street.decodeDigitalMap(prior: nil) }
        #expect(error?.nackReason == .invalid)
    }

    @Test func contextEncodingNeedsProtocolTwo() throws {
        var bytes = try Fixtures.vector("map-frame-context")
        #expect(bytes[4] == 2)
        bytes[4] = 1
        #expect(throws: WireError.self) { try WireMessage.decode(bytes: Fixtures.resealed(bytes)) }
        guard case .mapFrame(let frame) = try WireMessage.decode(bytes: Fixtures.vector("map-frame-context")) else {
            Issue.record("not a MAP_FRAME")
            return
        }
        #expect(throws: WireError.self) { try WireMessage.mapFrame(frame).encodedBytes(version: 1) }
        #expect(WireMessage.mapFrame(frame).requiredVersion == 2)
    }

    @Test func controlMessageVectors() throws {
        #expect(
            try WireMessage.decode(bytes: Fixtures.vector("ack"))
                == .ack(Ack(frameID: 42, attempt: 1, status: .accepted)))
        #expect(
            try WireMessage.decode(bytes: Fixtures.vector("nack"))
                == .nack(Nack(frameID: 42, attempt: 1, reason: .payloadCRCMismatch, text: "payload CRC mismatch")))
        #expect(
            try WireMessage.decode(bytes: Fixtures.vector("lost"))
                == .lost(Lost(frameID: 42, attempts: 8, name: "scene-0001", text: "gave up after 8 attempts")))
        #expect(
            try WireMessage.decode(bytes: Fixtures.vector("error"))
                == .error(ErrorMessage(code: .unsupportedVersion, text: "this peer speaks versions 1...1")))
        #expect(
            try WireMessage.decode(bytes: Fixtures.vector("bye"))
                == .bye(Bye(reason: .done, text: "16 sent, 16 acknowledged, 0 lost")))
    }

    @Test func digitalVectorDecodesToTheMap() throws {
        guard case .mapFrame(let frame) = try WireMessage.decode(bytes: Fixtures.vector("map-frame-digital")) else {
            Issue.record("not a MAP_FRAME")
            return
        }
        #expect(frame.frameID == 42 && frame.attempt == 0 && frame.name == "scene-0001")
        #expect(frame.width == 8 && frame.height == 4 && frame.classCount == 19 && frame.hops.isEmpty)
        #expect(try frame.decodeDigitalMap() == Fixtures.map8x4)
    }

    @Test func corruptedDigitalVectorFailsItsPayloadCRC() throws {
        guard case .mapFrame(let frame) = try WireMessage.decode(bytes: Fixtures.vector("map-frame-digital-corrupted"))
        else {
            Issue.record("not a MAP_FRAME")
            return
        }
        #expect(frame.attempt == 1)
        #expect(frame.hops.count == 1)
        #expect(
            frame.hops[0].channelModel == .bscBPSK && frame.hops[0].snrDB == 6 && frame.hops[0].measuredSNRDB == nil)
        #expect(frame.hops[0].seed == 99 && frame.hops[0].bitErrors == 1)
        #expect(!frame.payload.isIntact)
        let error = wireError { _ = try frame.decodeDigitalMap() }
        #expect(error?.caseName == "payloadCRCMismatch")
        #expect(error?.description.hasPrefix("frame 42:") == true)
        #expect(error?.nackReason == .payloadCRCMismatch)
    }

    @Test func analogVectorMatchesTheSwiftEncoder() throws {
        guard case .mapFrame(let frame) = try WireMessage.decode(bytes: Fixtures.vector("map-frame-analog")) else {
            Issue.record("not a MAP_FRAME")
            return
        }
        #expect(
            frame.encoding == .analog(AnalogLayout(downsample: 2, sampleFormat: .float16, presentClasses: [0, 1, 10])))
        let expected = try AnalogPayload.symbols(for: Fixtures.map8x4, classCount: 19, downsample: 2)
        #expect(try frame.decodeAnalogSymbols() == expected)
    }

    @Test func relayedAnalogVectorCarriesItsHopAndNoisySymbols() throws {
        guard case .mapFrame(let frame) = try WireMessage.decode(bytes: Fixtures.vector("map-frame-analog-relayed"))
        else {
            Issue.record("not a MAP_FRAME")
            return
        }
        #expect(frame.hops == [Fixtures.relayHop])
        let symbols = try frame.decodeAnalogSymbols()
        let clean = try AnalogPayload.symbols(for: Fixtures.map8x4, classCount: 19, downsample: 1)
        #expect(symbols.classes == clean.classes)
        for (i, value) in symbols.values.enumerated() {
            #expect(value == clean.values[i] + Float((i * 37) % 11 - 5) / 64)
        }
        #expect(symbols.hardDecision(width: 8, height: 4) == Fixtures.map8x4)
    }
}
