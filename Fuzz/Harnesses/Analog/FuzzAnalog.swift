import Checksums
import FuzzSupport
import Imaging
import Link
import SemanticWire

/// Fuzz target `analog`: the analog payload decoder and what a receiver and a relay do with its symbols.
///
/// Input: width u16, height u16 (big-endian), class count u8, downsample factor u8, sample format u8
/// (odd: float16, even: float32), present-class count K u8, K class ids, a denoiser selector u8 (modulo 4:
/// none, Potts, FDS, FDS when the estimated noise is high, as `semcom receive --denoiser`), then the
/// compressed payload. As in `digital`, the frame declares the implied uncompressed length and the
/// payload's true CRC-32 and is validated first. Then: `MapFrame.decodeAnalogSymbols`; the relay's
/// re-encoding (`replacingAnalogSymbols`), which must decode to the same symbols; and the receiver's
/// decision, `MapDecision.decide` (noise estimate, denoiser, hard decision, generator conditioning), whose
/// map must have the frame's size and only classes that have a plane. The denoisers run only on frames of
/// at most 65,536 symbols (larger ones are decided with `.none`), to keep the fuzzer fast.
@main enum FuzzAnalog {
    static let denoiserSymbolLimit = 1 << 16

    static func main() {
        Fuzzer.run { bytes in
            var input = InputReader(bytes)
            let width = Int(input.u16()), height = Int(input.u16())
            let classCount = input.byte()
            let downsample = input.byte()
            let format: SampleFormat = input.byte() & 1 == 1 ? .float16 : .float32  // 1 float16, 2 float32
            let classes = input.bytes(Int(input.byte()))
            let selector = input.byte() % 4
            let compressed = input.remaining
            var frame = MapFrame(
                frameID: 1, name: "fuzz", width: width, height: height, classCount: classCount,
                encoding: .analog(AnalogLayout(downsample: downsample, sampleFormat: format, presentClasses: classes)),
                payload: CompressedPayload(
                    uncompressedLength: 0, crc32: CRC32.checksum(compressed), bytes: compressed))
            // `expectedUncompressedLength` needs a valid factor (it divides by it); `validate` refuses the rest.
            if AnalogLayout.factors.contains(Int(downsample)) {
                frame.payload.uncompressedLength = frame.expectedUncompressedLength
            }
            do { try frame.validate() } catch { return fuzzTrace("frame refused: \(error)") }
            let symbols: AnalogSymbols
            do {
                symbols = try frame.decodeAnalogSymbols()
            } catch let error as WireError {
                return fuzzTrace("payload refused (NACK \(error.nackReason)): \(error)")
            } catch {
                fuzzCheck(false, "decodeAnalogSymbols threw a non-wire error: \(error)")
                return
            }
            fuzzCheck(symbols.values.allSatisfy { $0.isFinite }, "decoded a non-finite symbol")
            fuzzTrace("decoded \(symbols.classes.count) planes of \(symbols.planeWidth)×\(symbols.planeHeight)")
            // The relay: re-encode (here without noise) and forward; the next hop must read the same symbols.
            let forwarded = try? frame.replacingAnalogSymbols(symbols.values)
            fuzzCheck(
                (try? forwarded?.decodeAnalogSymbols()) == symbols, "re-encoded analog payload decodes differently")
            // The receiver.
            let denoiser = symbols.values.count <= denoiserSymbolLimit ? denoisers[Int(selector)] : .none
            let decision: MapDecision.Decision
            do {
                decision = try MapDecision.decide(frame, denoiser: denoiser)
            } catch {
                fuzzCheck(false, "MapDecision.decide refused a payload that decodes: \(error)")
                return
            }
            let labels = decision.labels
            fuzzCheck(
                labels.width == width && labels.height == height, "decided map is \(labels.width)×\(labels.height)")
            fuzzCheck(
                labels.ids.allSatisfy { $0 == LabelMap.void || symbols.classes.contains($0) },
                "the decision chose a class without a plane")
            fuzzCheck(
                decision.receivedSymbols == nil || decision.receivedSymbols == symbols,
                "the decision received other symbols")
        }
    }

    /// The receiver's `--denoiser` choices, by the input's selector byte.
    static let denoisers: [MapDenoiser] = [.none, .potts, .fds, .fdsAuto]
}
