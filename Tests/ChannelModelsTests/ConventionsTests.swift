import Testing

@testable import ChannelModels

@Suite("Channel conventions")
struct ConventionsTests {
    @Test func decibelConversionsRoundTrip() {
        #expect(ChannelConventions.linear(fromDecibels: 10) == 10)
        #expect(abs(ChannelConventions.linear(fromDecibels: 3) - 1.995_262_3) < 1e-6)
        #expect(ChannelConventions.decibels(fromLinear: 100) == 20)
        for dB in [-10.0, -1.5, 0, 2.5, 30] {
            #expect(
                abs(ChannelConventions.decibels(fromLinear: ChannelConventions.linear(fromDecibels: dB)) - dB) < 1e-12)
        }
    }

    @Test func psnrNoiseStdFollowsTheFormula() {
        #expect(ChannelConventions.noiseStd(psnrDB: 20) == 0.1)
        #expect(abs(ChannelConventions.noiseStd(psnrDB: 30) - 0.031_622_776_6) < 1e-10)
        #expect(abs(ChannelConventions.noiseStd(psnrDB: 0) - 1) < 1e-15)
        #expect(abs(ChannelConventions.noiseStd(psnrDB: 6, peak: 2) - 2 * 0.501_187_233_6) < 1e-9)
        #expect(abs(ChannelConventions.psnrDB(noiseStd: 0.1) - 20) < 1e-12)
    }

    /// GESCO's `SNR_DICT` verbatim, and the PSNR its σ really give: the table is powers of
    /// 0.6, not 10^(−PSNR/20), which is why it is a separate convention.
    @Test func gescoNoiseTableIsTheReferenceCodes() {
        let expected: [(Double, Double)] = [
            (30, 0.05), (25, 0.08), (20, 0.13), (15, 0.22), (10, 0.36), (5, 0.6), (1, 0.9),
        ]
        #expect(ChannelConventions.gescoNoiseTable.count == expected.count)
        for (entry, want) in zip(ChannelConventions.gescoNoiseTable, expected) {
            #expect(entry.psnrDB == want.0 && entry.noiseStd == want.1)
            #expect(ChannelConventions.gescoNoiseStd(psnrDB: want.0) == want.1)
        }
        #expect(ChannelConventions.gescoNoiseStd(psnrDB: 100) == 0)
        #expect(ChannelConventions.gescoNoiseStd(psnrDB: 12) == nil)
        // True PSNR of GESCO's σ: 26.0 dB for its "30 dB", 0.9 dB for its "1 dB".
        #expect(abs(ChannelConventions.psnrDB(noiseStd: 0.05) - 26.02) < 0.01)
        #expect(abs(ChannelConventions.psnrDB(noiseStd: 0.36) - 8.87) < 0.01)
        #expect(abs(ChannelConventions.psnrDB(noiseStd: 0.9) - 0.92) < 0.01)
    }

    @Test func ebN0AndEsN0() {
        // Uncoded BPSK: equal. 16-QAM rate 1/2: 4·½ = 2 bits per use → 3.01 dB apart.
        #expect(ChannelConventions.ebN0DB(esN0DB: 7) == 7)
        #expect(
            abs(ChannelConventions.ebN0DB(esN0DB: 10, codeRate: 0.5, bitsPerSymbol: 4) - (10 - 3.010_299_96)) < 1e-8)
        #expect(
            abs(ChannelConventions.ebN0DB(esN0DB: 10, codeRate: 3.0 / 4, bitsPerSymbol: 6) - (10 - 6.532_125_14)) < 1e-8
        )
        #expect(
            abs(
                ChannelConventions.esN0DB(
                    ebN0DB: ChannelConventions.ebN0DB(esN0DB: 4, codeRate: 2.0 / 3, bitsPerSymbol: 2),
                    codeRate: 2.0 / 3, bitsPerSymbol: 2) - 4) < 1e-12)
        #expect(abs(ChannelConventions.noiseDensity(esN0DB: 10) - 0.1) < 1e-15)
    }

    @Test func oneHotAverageSNR() {
        #expect(abs(ChannelConventions.oneHotAverageSNRDB(psnrDB: 10, classCount: 10) - 0) < 1e-12)
        #expect(abs(ChannelConventions.oneHotAverageSNRDB(psnrDB: 20, classCount: 35) - (20 - 15.440_680_44)) < 1e-8)
        #expect(ChannelConventions.oneHotAverageSNRDB(psnrDB: 5, classCount: 1) == 5)
    }

    @Test(arguments: [
        (0.0, 0.5), (1.0, 0.158_655_253_931_457_05), (2.0, 0.022_750_131_948_179_21),
        (3.0, 0.001_349_898_031_630_094_6), (-1.0, 0.841_344_746_068_542_9),
        (5.0, 2.866_515_718_791_939e-7), (10.0, 7.619_853_024_160_527e-24),
    ])
    func qFunctionKnownValues(x: Double, q: Double) {
        #expect(abs(gaussianQ(x) - q) <= 1e-12 * max(q, 1e-300) + 1e-15)
    }

    @Test func theoreticalBitErrorRates() {
        // Textbook points: BPSK at 9.6 dB ≈ 1e-5; Rayleigh at 10 dB ≈ 0.02327.
        #expect(abs(TheoreticalErrorRate.bpskAWGN(ebN0DB: 9.6) - 1.0e-5) < 0.1e-5)
        #expect(abs(TheoreticalErrorRate.bpskAWGN(ebN0DB: 0) - 0.078_649_603_9) < 1e-9)
        #expect(abs(TheoreticalErrorRate.bpskRayleigh(averageEbN0DB: 10) - 0.023_268_705_4) < 1e-9)
    }
}
