import Imaging
import Link
import NIOCore
import Testing

@testable import SemanticWire

/// The hex vectors in protocol/vectors were written by an independent implementation of PROTOCOL.md
/// (protocol/vectors/generate.py); they must decode to the stated fields and re-encode byte for byte.
@Suite struct VectorTests {
    static let names = [
        "hello", "hello-answer", "map-frame-digital", "map-frame-digital-corrupted", "map-frame-analog",
        "map-frame-analog-relayed", "ack", "nack", "lost", "error", "bye",
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
