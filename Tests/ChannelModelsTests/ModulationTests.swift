import Randomness
import Testing

@testable import ChannelModels

@Suite("Modulation, demapping and uncoded error rates")
struct ModulationTests {
    @Test("unit average power, Gray labels, noiseless round trip", arguments: Modulation.allCases)
    func constellation(_ modulation: Modulation) {
        let table = modulation.axisAmplitudes
        let axisPower = table.map { Double($0 * $0) }.reduce(0, +) / Double(table.count)
        let power = modulation == .bpsk ? axisPower : 2 * axisPower
        #expect(abs(power - 1) < 1e-6)
        // Gray: amplitudes sorted from high to low have labels differing in exactly one bit.
        let labels = table.indices.sorted { table[$0] > table[$1] }
        for i in 1..<labels.count { #expect((labels[i] ^ labels[i - 1]).nonzeroBitCount == 1) }
        #expect(labels[0] == 0, "all-zero label is the most positive amplitude")
        var rng = SeededGenerator(seed: 3)
        let bits = (0..<(modulation.bitsPerSymbol * 600)).map { _ in UInt8(rng.next() & 1) }
        #expect(modulation.slice(modulation.modulate(bits)) == bits)
    }

    @Test("LLR sign: positive means 0; exact and max-log agree on noiseless symbols", arguments: Modulation.allCases)
    func llrSigns(_ modulation: Modulation) {
        var rng = SeededGenerator(seed: 4)
        let bits = (0..<(modulation.bitsPerSymbol * 200)).map { _ in UInt8(rng.next() & 1) }
        let symbols = modulation.modulate(bits)
        let equalized = EqualizedSymbols(
            symbols: symbols, gains: .init(repeating: 1, count: symbols.count),
            noiseVariances: .init(repeating: 0.05, count: symbols.count))
        for method in SoftDemapper.Method.allCases {
            let llrs = SoftDemapper.llrs(equalized, modulation: modulation, method: method)
            #expect(zip(llrs, bits).allSatisfy { llr, bit in bit == 0 ? llr > 0 : llr < 0 })
        }
        // BPSK: LLR = 2y/σ² exactly.
        let one = EqualizedSymbols(symbols: [ComplexSymbol(0.3, 0)], gains: [1], noiseVariances: [0.5])
        #expect(abs(SoftDemapper.llrs(one, modulation: .bpsk)[0] - 1.2) < 1e-6)
    }

    @Test("exact LLR ≥ max-log in magnitude agreement: they coincide far from the boundaries")
    func exactVersusMaxLog() {
        let z = EqualizedSymbols(symbols: [ComplexSymbol(0.9, -0.3)], gains: [1], noiseVariances: [0.01])
        let exact = SoftDemapper.llrs(z, modulation: .qam16, method: .exact)
        let maxLog = SoftDemapper.llrs(z, modulation: .qam16, method: .maxLog)
        for (a, b) in zip(exact, maxLog) { #expect(abs(a - b) < 1e-3 * max(1, abs(a))) }
    }

    /// Counts hard-decision bit errors of `modulation` over `channel` until `errors` errors.
    static func uncodedBER(
        _ modulation: Modulation, esN0DB: Double, channel: RadioChannel = RadioChannel(), errors: Int = 2000,
        seed: UInt64
    ) -> (ber: Double, errors: Int) {
        var rng = SeededGenerator(seed: seed)
        var wrong = 0, total = 0
        let chunk = 6000 * modulation.bitsPerSymbol
        while wrong < errors {
            let bits = (0..<chunk).map { _ in UInt8(rng.next() & 1) }
            let output = channel.transmit(modulation.modulate(bits), esN0DB: esN0DB, using: &rng)
            let decided = output.equalized.hardDecisions(modulation)
            for i in 0..<chunk where decided[i] != bits[i] { wrong += 1 }
            total += chunk
        }
        return (Double(wrong) / Double(total), wrong)
    }

    @Test(
        "uncoded BER on AWGN within 10 % of theory (≥ 2000 errors)",
        arguments: [
            (Modulation.bpsk, 4.0), (.qpsk, 8.0), (.qam16, 14.0), (.qam64, 18.0),
        ])
    func uncodedAWGN(_ modulation: Modulation, esN0DB: Double) {
        let ebN0 = ChannelConventions.ebN0DB(esN0DB: esN0DB, bitsPerSymbol: modulation.bitsPerSymbol)
        let theory = TheoreticalErrorRate.uncoded(modulation, fading: false, ebN0DB: ebN0)!
        let measured = Self.uncodedBER(modulation, esN0DB: esN0DB, seed: 11)
        #expect(measured.errors >= 1000)
        #expect(abs(measured.ber / theory - 1) < 0.1, "\(modulation): \(measured.ber) vs \(theory)")
    }

    @Test("uncoded BPSK on Rayleigh: ½(1 − √(γ̄/(1+γ̄))) within 10 %, ZF and MMSE", arguments: Equalizer.allCases)
    func uncodedRayleigh(_ equalizer: Equalizer) {
        let channel = RadioChannel(fading: .rayleighBlock(coherence: 1), equalizer: equalizer, csi: .perfect)
        let theory = TheoreticalErrorRate.bpskRayleigh(averageEbN0DB: 10)
        let measured = Self.uncodedBER(.bpsk, esN0DB: 10, channel: channel, seed: 12)
        #expect(abs(measured.ber / theory - 1) < 0.1, "\(measured.ber) vs \(theory)")
    }

    @Test("pilot CSI: channel uses count the pilots; BER close to perfect CSI at moderate SNR")
    func pilots() {
        let channel = RadioChannel(fading: .rayleighBlock(coherence: 32), equalizer: .zf, csi: .pilots(count: 4))
        #expect(channel.channelUses(dataSymbols: 56) == 64)
        #expect(channel.channelUses(dataSymbols: 57) == 69)
        let perfect = RadioChannel(fading: .rayleighBlock(coherence: 32), equalizer: .zf, csi: .perfect)
        let a = Self.uncodedBER(.qpsk, esN0DB: 15, channel: channel, errors: 1000, seed: 5).ber
        let b = Self.uncodedBER(.qpsk, esN0DB: 15, channel: perfect, errors: 1000, seed: 5).ber
        #expect(a > b * 0.9 && a < b * 1.6, "pilot estimation costs a little: \(a) vs \(b)")
    }

    @Test("analog fading: pairs real symbols, counts uses and blocks, deterministic")
    func analogFading() {
        let radio = RadioChannel(fading: .rayleighBlock(coherence: 10), equalizer: .mmse, csi: .pilots(count: 2))
        let channel = AnalogFadingChannel(noise: .esN0(20), radio: radio)
        var a = (0..<101).map { Float($0 % 3 == 0 ? 1 : 0) }
        var b = a
        var r1 = SeededGenerator(seed: 1), r2 = SeededGenerator(seed: 1)
        let s = channel.apply(to: &a, using: &r1)
        _ = channel.apply(to: &b, using: &r2)
        #expect(a == b)
        #expect(s.channelUses == 51 + 7 * 2 && s.fadingBlocks == 7)
        #expect((s.effectiveSNRDB ?? 0) > 5)
    }
}
