import Checksums
import FuzzSupport
import Imaging
import Link
import SemanticWire

/// Fuzz target `digital`: the digital payload decoder, as a receiver runs it on a MAP_FRAME that passed
/// framing (`MapDecision.decide` → `MapFrame.decodeDigitalMap`).
///
/// Input: width u16, height u16 (big-endian), class count u8, then the compressed payload (a zlib stream).
/// The frame declares the uncompressed length its size implies and the payload's true CRC-32, so every
/// input reaches the inflate (a fuzzer cannot forge a CRC); the frame is validated first, as
/// `WireMessage.decode` does. Checks beyond "no crash": a decoded map has the frame's size and only
/// valid ids, and encoding it again gives a payload that decodes to the same map.
@main enum FuzzDigital {
    static func main() {
        Fuzzer.run { bytes in
            var input = InputReader(bytes)
            let width = Int(input.u16()), height = Int(input.u16())
            let classCount = input.byte()
            let compressed = input.remaining
            let frame = MapFrame(
                frameID: 1, name: "fuzz", width: width, height: height, classCount: classCount, encoding: .digital,
                payload: CompressedPayload(
                    uncompressedLength: width * height, crc32: CRC32.checksum(compressed),
                    bytes: compressed))
            do { try frame.validate() } catch { return fuzzTrace("frame refused: \(error)") }
            let map: LabelMap
            do {
                map = try MapDecision.decide(frame).labels
            } catch let error as WireError {
                return fuzzTrace("payload refused (NACK \(error.nackReason)): \(error)")
            } catch {
                fuzzCheck(false, "MapDecision.decide threw a non-wire error: \(error)")
                return
            }
            fuzzTrace("decoded a \(map.width)×\(map.height) map")
            fuzzCheck(map.width == width && map.height == height, "decoded map is \(map.width)×\(map.height)")
            fuzzCheck(map.ids.allSatisfy { $0 < classCount || $0 == LabelMap.void }, "decoded map holds an invalid id")
            let again = MapFrame(
                frameID: 1, name: "fuzz", width: width, height: height, classCount: classCount, encoding: .digital,
                payload: DigitalPayload.encode(map))
            fuzzCheck((try? again.decodeDigitalMap()) == map, "re-encoded digital payload decodes differently")
        }
    }
}
