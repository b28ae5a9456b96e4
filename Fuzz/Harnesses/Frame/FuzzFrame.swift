import Checksums
import FuzzSupport
import Link
import NIOCore
import NIOEmbedded
import SemanticWire

/// Fuzz target `frame`: the input is a byte stream as a peer would receive it on a connection.
///
/// It goes through the daemons' pipeline stage, `ByteToMessageHandler(WireFrameDecoder(limits:))`
/// (`WireConnections.configure`), in an `EmbeddedChannel`, then the connection closes (EOF). Every
/// message decoded is handled as a receiver would: a MAP_FRAME is decided (`MapDecision.decide`: payload
/// decoding, and for analog frames the Potts denoiser and the hard decision), a refused payload becomes
/// the NACK the receiver sends, a framing error the ERROR it sends before closing. Checks beyond "no crash": every decoded message
/// re-encodes (`encode` accepts what `decode` accepted) and decodes back to itself, and every NACK and
/// ERROR built from an error encodes.
///
/// The stream is fed twice: as given, in one read, and with every frame's payload CRC and header CRC
/// recomputed, in reads of 1…61 bytes, so that mutations get past both CRC checks.
@main enum FuzzFrame {
    static func main() {
        Fuzzer.run { bytes in
            receive(bytes, readSize: max(bytes.count, 1))
            var repaired = bytes
            repairCRCs(&repaired)
            receive(repaired, readSize: 1 + bytes.count % 61)
        }
    }

    static func receive(_ bytes: [UInt8], readSize: Int) {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(WireFrameDecoder(limits: .default)))
        do {
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + readSize, bytes.count)
                try channel.writeInbound(channel.allocator.buffer(bytes: bytes[offset..<end]))
                try drain(channel)
                offset = end
            }
            _ = try channel.finish()
            try drain(channel)
        } catch let error as WireError {
            fuzzTrace("connection closed with ERROR \(error.errorCode): \(error)")
            // The receiver answers ERROR and closes.
            let reply = WireMessage.error(ErrorMessage(error))
            fuzzCheck((try? reply.encodedBytes()) != nil, "ERROR for \(error) does not encode")
            _ = try? channel.finish()
        } catch {
            fuzzTrace("connection failed: \(error)")
            _ = try? channel.finish()
        }
    }

    static func drain(_ channel: EmbeddedChannel) throws {
        while let message = try channel.readInbound(as: WireMessage.self) { handle(message) }
    }

    static func handle(_ message: WireMessage) {
        fuzzTrace("decoded \(message.type)")
        let encoded: [UInt8]
        do {
            encoded = try message.encodedBytes()  // at the lowest version that defines it, as peers write it
        } catch {
            fuzzCheck(false, "decoded \(message.type) does not re-encode: \(error)")
            return
        }
        fuzzCheck((try? WireMessage.decode(bytes: encoded)) == message, "\(message.type) does not survive a round trip")
        switch message {
        case .hello(let hello):
            _ = hello.negotiate()
        case .mapFrame(let frame):
            do {
                // The receiver's default denoiser (Potts) on payloads up to 128 KiB, none on larger ones.
                let denoiser: MapDenoiser = frame.expectedUncompressedLength <= 1 << 17 ? .potts : .none
                let labels = try MapDecision.decide(frame, denoiser: denoiser).labels
                fuzzCheck(labels.width == frame.width && labels.height == frame.height, "decided map has another size")
            } catch let error as WireError {
                fuzzTrace("payload refused (NACK \(error.nackReason)): \(error)")
                let nack = WireMessage.nack(
                    Nack(
                        frameID: frame.frameID, attempt: frame.attempt, reason: error.nackReason,
                        text: ErrorMessage.fitting(error.description)))
                fuzzCheck((try? nack.encodedBytes()) != nil, "NACK for \(error) does not encode")
            } catch {
                fuzzCheck(false, "payload decoding threw a non-wire error: \(error)")
            }
        default:
            break
        }
    }

    /// Recomputes, frame after frame, a MAP_FRAME's payload CRC (the last 4 bytes of its control part) and
    /// every header CRC (envelope bytes 0..<16 and the control part), as far as the bytes go.
    static func repairCRCs(_ bytes: inout [UInt8]) {
        func u32(at index: Int) -> Int {
            bytes[index..<index + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        func store(_ value: UInt32, at index: Int) {
            for i in 0..<4 { bytes[index + i] = UInt8(truncatingIfNeeded: value >> (24 - 8 * i)) }
        }
        var start = 0
        while bytes.count - start >= WireProtocol.envelopeSize {
            let bodyStart = start + WireProtocol.envelopeSize
            let bodyLength = u32(at: start + 8)
            let controlLength = u32(at: start + 12)
            let available = bytes.count - bodyStart
            if bytes[start + 5] == MessageType.mapFrame.rawValue, controlLength >= 4, controlLength <= bodyLength,
                bodyLength <= available
            {
                store(
                    CRC32.checksum(bytes[(bodyStart + controlLength)..<(bodyStart + bodyLength)]),
                    at: bodyStart + controlLength - 4)
            }
            let covered = min(controlLength, available)
            let envelopeCRC = CRC32.checksum(bytes[start..<(start + 16)])
            let crc = CRC32.checksum(bytes[bodyStart..<(bodyStart + covered)], continuing: envelopeCRC)
            store(crc, at: start + 16)
            guard bodyLength <= available else { return }
            start = bodyStart + bodyLength
        }
    }
}
