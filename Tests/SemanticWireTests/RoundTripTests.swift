import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@testable import SemanticWire

@Suite struct RoundTripTests {
    @Test func everyMessageRoundTrips() throws {
        for message in try Fixtures.allMessages() {
            let bytes = try Fixtures.bytes(message)
            let decoded = try WireMessage.decode(bytes: bytes)
            #expect(decoded == message)
            #expect(try Fixtures.bytes(decoded) == bytes)
        }
    }

    @Test func decoderProducesEveryMessageWhenFedByteByByte() throws {
        let messages = try Fixtures.allMessages()
        let pairs = try messages.map { (ByteBuffer(bytes: try Fixtures.bytes($0)), [$0]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { WireFrameDecoder() }
    }

    @Test func pipelineEncodesAndDecodesThroughAnEmbeddedChannel() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(
            ByteToMessageHandler(WireFrameDecoder()), MessageToByteHandler(WireFrameEncoder()))
        let messages = try Fixtures.allMessages()
        var wire = ByteBuffer()
        for message in messages {
            try channel.writeOutbound(message)
            var chunk = try #require(try channel.readOutbound(as: ByteBuffer.self))
            wire.writeBuffer(&chunk)
        }
        // Feed everything back one byte at a time.
        while let byte = wire.readSlice(length: 1) { try channel.writeInbound(byte) }
        for message in messages {
            #expect(try channel.readInbound(as: WireMessage.self) == message)
        }
        #expect(try channel.readInbound(as: WireMessage.self) == nil)
        _ = try channel.finish()
    }

    @Test func connectionClosedInsideAFrameIsReportedAsTruncated() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(WireFrameDecoder()))
        let bytes = try Fixtures.bytes(.ack(Ack(frameID: 1, attempt: 0)))
        try channel.writeInbound(ByteBuffer(bytes: bytes.prefix(bytes.count - 3)))
        #expect(try channel.readInbound(as: WireMessage.self) == nil)
        #expect(throws: WireError.self) { try channel.finish() }
    }

    @Test func helloNegotiatesTheHighestCommonVersion() {
        let offer = Hello(minVersion: 1, maxVersion: 3, role: .sender, peerName: "s", origin: "s")
        #expect(offer.negotiate(supported: 1...1) == 1)
        #expect(offer.negotiate(supported: 2...5) == 3)
        #expect(Hello(minVersion: 2, maxVersion: 3, role: .sender, peerName: "s", origin: "s").negotiate() == 3)
        #expect(Hello(minVersion: 2, maxVersion: 9, role: .sender, peerName: "s", origin: "s").negotiate() == 3)
        #expect(Hello(minVersion: 4, maxVersion: 5, role: .sender, peerName: "s", origin: "s").negotiate() == nil)
    }

    @Test func errorTextIsCutToTheLimitOnACharacterBoundary() throws {
        let long = String(repeating: "é", count: 600)  // 1200 bytes
        let message = ErrorMessage(.invalidField(long))
        #expect(message.text.utf8.count <= WireProtocol.maxTextBytes)
        #expect(message.code == .invalidField)
        _ = try Fixtures.bytes(.error(message))
    }
}
