import Randomness
import Testing

@testable import ChannelModels

@Suite("Bit error channels")
struct BitErrorChannelTests {
    /// Uncoded BPSK BER within 10 % of Q(√(2·Eb/N0)), with ~20,000 errors counted per point
    /// (relative standard error 0.7 %), so the tolerance is far from flaky.
    @Test(arguments: [0.0, 2.0, 4.0, 6.0, 8.0])
    func bpskBitErrorRateMatchesTheory(ebN0DB: Double) throws {
        let channel = try BPSKBitErrorChannel(esN0DB: ebN0DB)
        let pb = TheoreticalErrorRate.bpskAWGN(ebN0DB: ebN0DB)
        #expect(channel.bitErrorProbability == pb && channel.ebN0DB == ebN0DB)
        let bytes = Int((20_000 / pb / 8).rounded(.up))
        var payload = [UInt8](repeating: 0xA5, count: bytes)
        var rng = SeededGenerator(seed: 2024, stream: UInt64(ebN0DB * 10))
        let stats = channel.apply(to: &payload, using: &rng)
        #expect(stats.bitsOnAir == bytes * 8 && stats.channelUses == bytes * 8)
        #expect(stats.bitErrors >= 1_000)
        // The errors counted must be the bits that really changed.
        let changed = payload.reduce(0) { $0 + ($1 ^ 0xA5).nonzeroBitCount }
        #expect(changed == stats.bitErrors)
        #expect(abs(stats.bitErrorRate / pb - 1) < 0.10)
    }

    /// The abstraction is equivalent to the physical link: BPSK ±1 with noise of N0/2 per real
    /// dimension (N0 = 10^(−Es/N0/10)), sliced at 0, gives the same BER.
    @Test(arguments: [0.0, 4.0])
    func bpskModulatedOverGaussianNoiseMatchesTheAbstraction(esN0DB: Double) {
        let pb = TheoreticalErrorRate.bpskAWGN(ebN0DB: esN0DB)
        let n = Int(10_000 / pb)
        let sigma = (ChannelConventions.noiseDensity(esN0DB: esN0DB) / 2).squareRoot()
        var rng = SeededGenerator(seed: 17)
        let noise = GaussianNoise.standardNormal(count: n, using: &rng)
        var errors = 0
        for i in 0..<n {
            let bit = i & 1  // alternate bits; symbol +1 for 0, −1 for 1
            let received = (bit == 0 ? 1.0 : -1.0) + sigma * noise[i]
            if (received < 0 ? 1 : 0) != bit { errors += 1 }
        }
        #expect(errors >= 1_000)
        #expect(abs(Double(errors) / Double(n) / pb - 1) < 0.10)
    }

    @Test func sameSeedSameFlipsDifferentSeedDifferentFlips() throws {
        let channel = try BPSKBitErrorChannel(esN0DB: 3)
        func corrupt(_ seed: UInt64) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: 4096)
            var rng = SeededGenerator(seed: seed)
            channel.apply(to: &bytes, using: &rng)
            return bytes
        }
        #expect(corrupt(1) == corrupt(1))
        #expect(corrupt(1) != corrupt(2))
    }

    /// Geometric skipping must hit every bit position alike (no bias to byte boundaries).
    @Test func flipsAreSpreadOverAllBitPositions() throws {
        let channel = try BinarySymmetricChannel(crossoverProbability: 0.01)
        var bytes = [UInt8](repeating: 0, count: 100_000)
        var rng = SeededGenerator(seed: 8)
        let stats = channel.apply(to: &bytes, using: &rng)
        var perPosition = [Int](repeating: 0, count: 8)
        for byte in bytes {
            for bit in 0..<8 where byte & (UInt8(0x80) >> UInt8(bit)) != 0 { perPosition[bit] += 1 }
        }
        #expect(perPosition.reduce(0, +) == stats.bitErrors)
        let expected = Double(stats.bitErrors) / 8
        for count in perPosition { #expect(abs(Double(count) / expected - 1) < 0.05) }
        // Successive flips are independent: the fraction of bytes with ≥ 2 flips matches the
        // binomial law (1 − P(0) − P(1) with 8 trials at p = 0.01 ≈ 0.269 %).
        let multi = Double(bytes.filter { $0.nonzeroBitCount >= 2 }.count) / Double(bytes.count)
        #expect(abs(multi / 0.002_690_1 - 1) < 0.2)
    }

    @Test func extremeProbabilities() throws {
        var rng = SeededGenerator(seed: 4)
        var bytes: [UInt8] = [0x00, 0xFF, 0x0F]
        let none = try BinarySymmetricChannel(crossoverProbability: 0).apply(to: &bytes, using: &rng)
        #expect(bytes == [0x00, 0xFF, 0x0F] && none.bitErrors == 0 && none.bitsOnAir == 24)
        let all = try BinarySymmetricChannel(crossoverProbability: 1).apply(to: &bytes, using: &rng)
        #expect(bytes == [0xFF, 0x00, 0xF0] && all.bitErrors == 24)
        var half = [UInt8](repeating: 0, count: 50_000)
        let coin = try BinarySymmetricChannel(crossoverProbability: 0.5).apply(to: &half, using: &rng)
        #expect(abs(coin.bitErrorRate - 0.5) < 0.005)
        // At 40 dB Pb underflows to 0 (Q(141) < 1e-4000): nothing flips, nothing hangs.
        var clean = [UInt8](repeating: 0x3C, count: 1 << 20)
        let quiet = try BPSKBitErrorChannel(esN0DB: 40).apply(to: &clean, using: &rng)
        #expect(quiet.bitErrors == 0 && clean.allSatisfy { $0 == 0x3C })
        var empty: [UInt8] = []
        #expect(try BPSKBitErrorChannel(esN0DB: -5).apply(to: &empty, using: &rng).bitsOnAir == 0)
        #expect(throws: ChannelConfigurationError.self) { try BinarySymmetricChannel(crossoverProbability: 1.5) }
        #expect(throws: ChannelConfigurationError.self) { try BPSKBitErrorChannel(esN0DB: .infinity) }
    }

    /// At 12 dB (Pb ≈ 9e-9) a 16 MB payload costs about one draw per error, not one per bit.
    @Test func tinyErrorRatesCostOneDrawPerError() throws {
        let channel = try BPSKBitErrorChannel(esN0DB: 12)
        var bytes = [UInt8](repeating: 0, count: 16 << 20)
        var rng = SeededGenerator(seed: 12)
        let stats = channel.apply(to: &bytes, using: &rng)
        #expect(stats.bitErrors < 10)
    }
}
