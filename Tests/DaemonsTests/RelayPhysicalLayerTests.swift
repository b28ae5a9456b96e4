import ChannelModels
import Imaging
import Link
import SemanticWire
import Testing

@testable import Daemons

@Suite("Relay digital mode over the physical layer")
struct RelayPhysicalLayerTests {
    static func frame() throws -> MapFrame {
        var map = LabelMap(width: 64, height: 32, fill: 0)
        for y in 0..<32 { for x in 0..<64 where x > 20 { map[x, y] = y < 10 ? 10 : 13 } }
        return try MapFrame.digital(frameID: 3, name: "d", map: map, classCount: 19)
    }

    @Test("high SNR: payload intact, hop annotated with modulation, code, rate, bits and uses")
    func clean() throws {
        let frame = try Self.frame()
        let radio = RelayRadio(modulation: .qam16, code: .ldpc(n: 1944, rate: .r34))
        let outcome = try RelayChannel(setting: .esN0(dB: 25), seed: 1, radio: radio).apply(to: frame)
        #expect(outcome.frame.payload == frame.payload && outcome.frame.payload.isIntact)
        let hop = outcome.hop
        #expect(hop.channelModel == .phyAWGN && hop.modulation == .qam16 && hop.code == .ldpc)
        #expect(hop.codeRate == (3, 4) && hop.bitErrors == 0 && hop.fadingBlockLength == 0)
        let link = try #require(outcome.link)
        // The hop carries the payload's channel uses (protocol §5.2.1) and the bits of payload and header.
        #expect(
            hop.bitsOnAir == UInt64(link.bitsOnAir + frame.headerBits) && hop.channelUses == UInt64(link.channelUses))
        #expect(link.bitsOnAir == 4 * link.channelUses)
        // The ledger: header on the control channel at 3 bits per use (16-QAM × 3/4), apart from the payload.
        let ledger = outcome.ledger
        #expect(ledger.payloadChannelUses == link.channelUses)
        #expect(ledger.headerChannelUses == (frame.headerBits + 2) / 3)
        #expect(ledger.payloadBits == 8 * frame.payload.bytes.count && ledger.mcs == "16qam ldpc:1944:3/4")
        #expect(ledger.rho == Double(link.channelUses) / Double(3 * frame.width * frame.height))
        // A receiver rebuilds it from the annotation (its header now holds the hop too).
        let rebuilt = ChannelLedger(hop: hop, frame: outcome.frame)
        #expect(rebuilt.payloadChannelUses == ledger.payloadChannelUses && rebuilt.payloadBits == ledger.payloadBits)
        #expect(rebuilt.headerChannelUses == (outcome.frame.headerBits + 2) / 3)
    }

    @Test("low SNR with fading: residual errors forwarded, CRC left as sent so the receiver nacks")
    func noisy() throws {
        let frame = try Self.frame()
        let radio = RelayRadio(
            modulation: .qpsk, code: .convolutional(.r12),
            channel: RadioChannel(fading: .rayleighBlock(coherence: 64), equalizer: .zf, csi: .pilots(count: 4)))
        let outcome = try RelayChannel(setting: .esN0(dB: -2), seed: 1, radio: radio).apply(to: frame)
        #expect(outcome.hop.channelModel == .phyRayleigh && outcome.hop.fadingBlockLength == 64)
        #expect(outcome.hop.bitErrors > 0 && !outcome.frame.payload.isIntact)
        #expect(outcome.frame.payload.crc32 == frame.payload.crc32)
        #expect((outcome.link?.preDecodingBitErrors ?? 0) > 0 && (outcome.link?.pilotUses ?? 0) > 0)
    }

    @Test("--mcs auto picks a denser scheme at a higher SNR")
    func mcsAuto() {
        let radio = RelayRadio(mcsAuto: true)
        let low = radio.configuration(esN0DB: 0), high = radio.configuration(esN0DB: 25)
        #expect(high.spectralEfficiency > low.spectralEfficiency)
    }

    @Test("analog frames meet the radio's fading; uses count the pilots")
    func analogFading() throws {
        var map = LabelMap(width: 32, height: 16, fill: 0)
        for y in 0..<16 { for x in 16..<32 { map[x, y] = 13 } }
        let frame = try MapFrame.analog(frameID: 1, name: "a", map: map, classCount: 19, sampleFormat: .float32)
        let radio = RelayRadio(channel: RadioChannel(fading: .rayleighBlock(coherence: 16), csi: .pilots(count: 2)))
        let outcome = try RelayChannel(setting: .psnr(dB: 20), seed: 1, radio: radio).apply(to: frame)
        #expect(outcome.hop.channelModel == .rayleighPSNR && outcome.hop.fadingBlockLength == 16)
        let uses = (outcome.symbols + 1) / 2
        #expect(outcome.hop.channelUses == UInt64(uses + 2 * ((uses + 13) / 14)))
    }
}
