import Checksums
import Foundation
import Imaging
import Link
import NIOCore
import Testing

@testable import SemanticWire

/// Sample messages and helpers shared by the tests.
enum Fixtures {
    /// The 8×4 map of the vectors: road 0, sidewalk 1, sky 10, car 13, void 255.
    static let map8x4 = LabelMap(
        width: 8, height: 4,
        ids: [
            10, 10, 10, 10, 10, 10, 255, 255,
            10, 10, 13, 13, 10, 10, 255, 255,
            0, 0, 13, 13, 0, 0, 1, 1,
            0, 0, 0, 0, 0, 1, 1, 1,
        ])

    static let relayHop = HopAnnotation(
        channelModel: .awgnPSNR, mode: .analog, snrDB: 10, measuredSNRDB: 9.875, seed: 12345, channelUses: 64,
        processingMicroseconds: 250)

    static let phyHop = HopAnnotation(
        channelModel: .phyRayleigh, mode: .digital, modulation: .qam16, code: .ldpc, codeRate: (1, 2), snrDB: 12.5,
        measuredSNRDB: nil, seed: .max, bitErrors: 3, bitsOnAir: 4096, channelUses: 1024, fadingBlockLength: 64,
        processingMicroseconds: 1_000)

    /// One message of each type (and the variants of MAP_FRAME).
    static func allMessages() throws -> [WireMessage] {
        var relayed = try MapFrame.analog(
            frameID: 8, name: "scene-0003", map: map8x4, classCount: 19, downsample: 1, sampleFormat: .float32)
        relayed.hops = [relayHop, phyHop]
        relayed.attempt = 2
        return [
            .hello(.offer(role: .sender, peerName: "sender-a", origin: "sender-a")),
            .hello(.answer(version: 1, role: .receiver, peerName: "receiver-1")),
            .mapFrame(try .digital(frameID: 42, name: "scene-0001", map: map8x4, classCount: 19)),
            .mapFrame(try .analog(frameID: 7, name: "scene-0002", map: map8x4, classCount: 19, downsample: 2)),
            .mapFrame(relayed),
            .mapFrame(try .analog(frameID: 9, name: "all-void", map: LabelMap(width: 3, height: 5), classCount: 19)),
            .ack(Ack(frameID: 42, attempt: 1)),
            .ack(Ack(frameID: .max, attempt: .max, status: .duplicate)),
            .nack(Nack(frameID: 42, attempt: 1, reason: .payloadCRCMismatch, text: "payload CRC mismatch")),
            .lost(Lost(frameID: 42, attempts: 8, name: "scene-0001", text: "gave up after 8 attempts")),
            .error(ErrorMessage(code: .unsupportedVersion, text: "this peer speaks versions 1…1 — ünïcode")),
            .bye(Bye(reason: .done, text: "16 sent, 16 acknowledged, 0 lost")),
            .bye(Bye(reason: .shuttingDown)),
        ]
    }

    static func bytes(_ message: WireMessage) throws -> [UInt8] {
        try message.encodedBytes()
    }

    /// The checkout's root.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The lines of `protocol/vectors/NAME.hex`.
    static func vectorText(_ name: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent("protocol/vectors/\(name).hex"), encoding: .utf8)
    }

    /// Reads `protocol/vectors/NAME.hex`: `#` starts a comment line, other lines are hex bytes.
    static func vector(_ name: String) throws -> [UInt8] {
        let text = try vectorText(name)
        let hex = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined().filter { !$0.isWhitespace }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(try #require(UInt8(hex[index..<next], radix: 16)))
            index = next
        }
        return bytes
    }

    /// Rewrites the header CRC of a frame held in `bytes` after a test edited its control part.
    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var copy = bytes
        let controlLength = Int(
            UInt32(bytes[12]) << 24 | UInt32(bytes[13]) << 16 | UInt32(bytes[14]) << 8 | UInt32(bytes[15]))
        let crc = CRC32.checksum(
            copy[20..<min(20 + controlLength, copy.count)], continuing: CRC32.checksum(copy[0..<16]))
        copy[16] = UInt8(crc >> 24)
        copy[17] = UInt8(crc >> 16 & 0xFF)
        copy[18] = UInt8(crc >> 8 & 0xFF)
        copy[19] = UInt8(crc & 0xFF)
        return copy
    }
}

/// The `WireError` that `body` throws, or `nil` (recording an issue) when it throws nothing or another error.
func wireError(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> WireError? {
    do {
        try body()
        Issue.record("expected a WireError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as WireError {
        #expect(!error.description.isEmpty, sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a WireError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

extension WireError {
    /// The case's name ("truncated"), for checks that do not care about the associated values.
    var caseName: String { Mirror(reflecting: self).children.first?.label ?? "\(self)" }
}
