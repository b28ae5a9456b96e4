import Randomness
import Testing

@testable import ChannelModels

@Suite("Physical layer: segmentation, link, coded reference points, MCS")
struct PhysicalLayerTests {
    static let codes: [ChannelCode] = [
        .none, .convolutional(.r34), .ldpc(n: 648, rate: .r23), .ldpc(n: 1944, rate: .r12),
    ]

    @Test("segmentation covers odd payload sizes with whole bytes, CRC and padding", arguments: codes)
    func segmentation(_ code: ChannelCode) {
        for size in [0, 1, 3, 116, 117, 118, 233, 1000, 1501, 3001] {
            let blocks = Segmentation(payloadBytes: size, code: code).blocks
            #expect(blocks.first?.bytes.lowerBound == 0 && blocks.last?.bytes.upperBound == size)
            for (a, b) in zip(blocks, blocks.dropFirst()) { #expect(a.bytes.upperBound == b.bytes.lowerBound) }
            for block in blocks {
                #expect(block.infoBits == 8 * block.bytes.count + 32 + block.paddingBits && block.paddingBits >= 0)
                if case .ldpc(let n, let rate) = code {
                    #expect(block.infoBits == n * rate.fraction.0 / rate.fraction.1)
                }
            }
        }
    }

    @Test("a large payload crosses in bursts: intact, costs add up, blocks all counted (bounded memory)")
    func bursts() {
        let layer = PhysicalLayer(PhysicalLayerConfiguration(modulation: .qam16, code: .none))
        let size = 3 * PhysicalLayer.burstBytes + 1234
        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var rng = SeededGenerator(seed: 3)
        let (bytes, stats) = layer.transmit(payload, esN0DB: 45, using: &rng)
        #expect(bytes == payload)
        let segmentation = Segmentation(payloadBytes: size, code: .none)
        #expect(stats.blocks == segmentation.blocks.count && stats.payloadBits == 8 * size)
        let cost = layer.cost(payloadBytes: size)
        #expect(cost.bitsOnAir == stats.bitsOnAir && cost.channelUses == stats.channelUses)
        #expect(PhysicalLayer.bursts(of: segmentation).count == 4)
    }

    @Test("clean link delivers odd-sized payloads intact; costs add up", arguments: codes)
    func cleanLink(_ code: ChannelCode) {
        for modulation in [Modulation.bpsk, .qam64] {
            let layer = PhysicalLayer(PhysicalLayerConfiguration(modulation: modulation, code: code))
            var rng = SeededGenerator(seed: 1)
            for size in [0, 1, 117, 501] {
                let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
                let (bytes, stats) = layer.transmit(payload, esN0DB: 40, using: &rng)
                #expect(bytes == payload && stats.blockErrors == 0 && stats.postDecodingBitErrors == 0)
                let cost = layer.cost(payloadBytes: size)
                #expect(cost.bitsOnAir == stats.bitsOnAir && cost.channelUses == stats.channelUses)
                #expect(stats.bitsOnAir == stats.channelUses * modulation.bitsPerSymbol)
            }
        }
    }

    @Test("residual errors are delivered and counted; block errors are flagged by the CRC")
    func noisyLink() {
        let layer = PhysicalLayer(PhysicalLayerConfiguration(modulation: .qpsk, code: .convolutional(.r34)))
        var rng = SeededGenerator(seed: 2)
        let payload = (0..<500).map { UInt8(truncatingIfNeeded: $0) }
        let (bytes, stats) = layer.transmit(payload, esN0DB: 1, using: &rng)
        let wrong = zip(bytes, payload).reduce(0) { $0 + ($1.0 ^ $1.1).nonzeroBitCount }
        #expect(wrong == stats.postDecodingBitErrors && wrong > 0 && stats.blockErrors == 1)
        #expect(stats.preDecodingBitErrors > 0)
    }

    @Test("determinism by seed")
    func determinism() {
        let configuration = PhysicalLayerConfiguration(
            modulation: .qam16, code: .ldpc(n: 648, rate: .r12),
            channel: RadioChannel(fading: .rayleighBlock(coherence: 50), equalizer: .zf, csi: .pilots(count: 2)))
        let simulation = LinkSimulation(
            configuration: configuration, frameBytes: 100, targetErrors: 50, maxBits: 20_000)
        let a = simulation.run(esN0DB: 8, seed: 5), b = simulation.run(esN0DB: 8, seed: 5)
        let c = simulation.run(esN0DB: 8, seed: 6)
        #expect(a == b)
        #expect(a.totals != c.totals)
    }

    /// Payload BER of `code` on BPSK/AWGN at `ebN0DB` over `frames` frames of `bytes`.
    static func codedBER(_ code: ChannelCode, ebN0DB: Double, frames: Int, bytes: Int) -> (ber: Double, bits: Int) {
        let configuration = PhysicalLayerConfiguration(modulation: .bpsk, code: code)
        let simulation = LinkSimulation(
            configuration: configuration, frameBytes: bytes, targetErrors: .max, maxBits: frames * bytes * 8,
            minFrames: frames)
        let point = simulation.run(esN0DB: configuration.esN0DB(ebN0DB: ebN0DB), seed: 99)
        return (point.ber, point.totals.payloadBits)
    }

    @Test("conv r=1/2 soft Viterbi reaches BER ≤ 1e-4 by Eb/N0 = 4.5 dB")
    func convolutionalReference() {
        let (ber, bits) = Self.codedBER(.convolutional(.r12), ebN0DB: 4.5, frames: 100, bytes: 250)
        #expect(bits == 200_000)
        #expect(ber <= 1e-4, "BER \(ber)")
    }

    @Test("LDPC n=1944 r=1/2 reaches BER ≤ 1e-4 by Eb/N0 = 2.5 dB")
    func ldpcReference() {
        // 117 payload bytes fill one codeword's 972 information bits (936 + CRC-32 + 4 padding).
        let (ber, bits) = Self.codedBER(.ldpc(n: 1944, rate: .r12), ebN0DB: 2.5, frames: 120, bytes: 117)
        #expect(bits >= 100_000)
        #expect(ber <= 1e-4, "BER \(ber)")
    }

    @Test("MCS auto: highest efficiency under the SNR; the most robust entry below every threshold")
    func mcsSelection() {
        let table = [
            MCSEntry(modulation: .bpsk, code: .convolutional(.r12), awgnThresholdDB: 1, rayleighThresholdDB: 8),
            MCSEntry(modulation: .qpsk, code: .convolutional(.r12), awgnThresholdDB: 4, rayleighThresholdDB: 11),
            MCSEntry(
                modulation: .qam16, code: .ldpc(n: 1944, rate: .r12), awgnThresholdDB: 7, rayleighThresholdDB: nil),
        ]
        #expect(MCSTable.select(esN0DB: 5, fading: false, from: table)?.modulation == .qpsk)
        #expect(MCSTable.select(esN0DB: 9, fading: false, from: table)?.modulation == .qam16)
        #expect(MCSTable.select(esN0DB: 30, fading: true, from: table)?.modulation == .qpsk)
        #expect(MCSTable.select(esN0DB: -5, fading: false, from: table)?.modulation == .bpsk)
        #expect(!MCSTable.entries.isEmpty, "the measured table ships")
    }
}
