import Checksums
import Foundation
import FuzzSupport
import Imaging
import Link
import SemanticWire

/// Fuzz target `layered`: the layered payload decoder (protocol §6.4) and what a relay and a receiver do with it.
///
/// Input: width u16, height u16 (big-endian), class count u8, a damage selector u8 (bit 0: the map part's CRC is
/// made wrong, bit 1: the metadata's), the 38 bytes of the layered layout as on the wire (map coding … symbol
/// count), then the payload. The map and metadata CRCs are replaced by the parts' true CRCs (unless the selector
/// breaks them) and the payload CRC by the payload's, so mutations reach the decoders instead of stopping at a
/// checksum. Then: `MapFrame.validate`; `layeredParts` and the relay's `replacingLayeredParts`, which must give the
/// same parts back; the relay's channel (`RelayChannel`, Es/N0 10 dB, for payloads up to 4 KiB); and the
/// receiver's `LayeredReception` with the shipped SoftCast profiles, whose map and estimate must have the frame's
/// size. Every refusal must be a `WireError` (a NACK).
@main enum FuzzLayered {
    static let profiles: SoftCastProfiles? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return try? SoftCastProfiles(folder: root.appendingPathComponent("models/softcast").path)
    }()
    static let relay = try! RelayChannel(setting: .esN0(dB: 10), seed: 1, radio: RelayRadio(mcsAuto: true))

    static func main() {
        fuzzCheck(profiles != nil, "the shipped SoftCast profiles do not load")
        Fuzzer.run { bytes in
            var input = InputReader(bytes)
            let width = Int(input.u16()), height = Int(input.u16())
            let classCount = input.byte()
            let damage = input.byte()
            func u32() -> UInt32 { UInt32(input.u16()) << 16 | UInt32(input.u16()) }
            let codingRaw = input.byte()
            let prior = u32(), profile = u32()
            let format: SampleFormat = input.byte() & 1 == 1 ? .float16 : .float32
            let mcs = RequestedMCS(
                modulation: ModulationID(rawValue: input.byte()), code: ChannelCodeID(rawValue: input.byte()),
                rateNumerator: input.u16(), rateDenominator: input.u16(), blockLength: input.u16())
            let mapLength = Int(u32()), _ = u32(), metadataLength = Int(u32()), _ = u32()
            let symbolCount = Int(u32())
            let payload = input.remaining
            guard let coding = LayeredLayout.MapCoding(rawValue: codingRaw), mapLength <= payload.count,
                metadataLength <= payload.count - mapLength
            else { return fuzzTrace("layout refused before the frame") }
            let map = payload[0..<mapLength], metadata = payload[mapLength..<(mapLength + metadataLength)]
            let layout = LayeredLayout(
                mapCoding: coding, mapPrior: prior, profile: profile, sampleFormat: format, mcs: mcs,
                mapLength: mapLength, mapCRC: crc32(map) ^ UInt32(damage & 1),
                metadataLength: metadataLength, metadataCRC: crc32(metadata) ^ UInt32(damage >> 1 & 1),
                symbolCount: symbolCount)
            let frame = MapFrame(
                frameID: 1, name: "fuzz", width: width, height: height, classCount: classCount,
                encoding: .layered(layout),
                payload: CompressedPayload(uncompressedLength: payload.count, crc32: crc32(payload), bytes: payload))
            do { try frame.validate() } catch { return fuzzTrace("frame refused: \(error)") }
            let parts: LayeredParts
            do {
                parts = try frame.layeredParts()
            } catch let error as WireError {
                return fuzzTrace("payload refused (NACK \(error.nackReason)): \(error)")
            } catch {
                fuzzCheck(false, "layeredParts threw a non-wire error: \(error)")
                return
            }
            let forwarded = try? frame.replacingLayeredParts(
                map: parts.map, metadata: parts.metadata, symbols: parts.symbols)
            fuzzCheck((try? forwarded?.layeredParts()) == parts, "re-encoded layered payload decodes differently")
            if payload.count <= 4096 {
                do {
                    let outcome = try relay.apply(to: frame)
                    fuzzCheck(outcome.hop.mode == .layered, "the relay's hop is not layered")
                    fuzzCheck((try? outcome.frame.validate()) != nil, "the relay forwarded an invalid frame")
                } catch let error as WireError {
                    fuzzTrace("relay refused (NACK \(error.nackReason)): \(error)")
                } catch {
                    fuzzCheck(false, "the relay threw a non-wire error: \(error)")
                }
            }
            do {
                let reception = try LayeredReception(frame, profiles: profiles, prior: nil)
                if let labels = reception.labels {
                    fuzzCheck(labels.width == width && labels.height == height, "map of another size")
                    fuzzCheck(
                        labels.ids.allSatisfy { $0 == LabelMap.void || $0 < classCount }, "map with an invalid id")
                }
                if let layer = reception.layer {
                    fuzzCheck(layer.image.width == width && layer.image.height == height, "estimate of another size")
                    fuzzCheck(layer.expectedMSE.isFinite && layer.expectedMSE >= 0, "expected MSE \(layer.expectedMSE)")
                }
                fuzzCheck(reception.labels != nil || reception.layer != nil, "a reception with neither part")
            } catch let error as WireError {
                fuzzTrace("reception refused (NACK \(error.nackReason)): \(error)")
            } catch {
                fuzzCheck(false, "LayeredReception threw a non-wire error: \(error)")
            }
        }
    }
}
