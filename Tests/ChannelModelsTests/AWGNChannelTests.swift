import Randomness
import Testing

@testable import ChannelModels

/// A one-hot map of 2^20 symbols (8 classes × 256 × 512) in vertical stripes.
private func stripedOneHot(classCount: Int = 8, height: Int = 256, width: Int = 512) -> ClassPlanes {
    var labels = [UInt8](repeating: 0, count: height * width)
    for y in 0..<height {
        for x in 0..<width { labels[y * width + x] = UInt8((x * classCount) / width) }
    }
    return ClassPlanes.oneHot(
        labels: labels, width: width, height: height, classIDs: (0..<UInt8(classCount)).map { $0 })
}

@Suite("AWGN on analog symbols")
struct AWGNChannelTests {
    @Test(arguments: [1.0, 10.0, 30.0])
    func psnrConventionMeasuresItsSetting(psnrDB: Double) throws {
        var symbols = stripedOneHot().values
        #expect(symbols.count >= 1_000_000)
        var rng = SeededGenerator(seed: 7)
        let stats = AWGNChannel.psnr(psnrDB).apply(to: &symbols, using: &rng)
        #expect(stats.noiseStd == ChannelConventions.noiseStd(psnrDB: psnrDB))
        #expect(stats.symbolCount == 1 << 20 && stats.channelUses == 1 << 19)
        #expect(abs(stats.signalPower - 1.0 / 8) < 1e-12)
        let psnr = try #require(stats.measuredPSNRDB)
        let snr = try #require(stats.measuredSNRDB)
        #expect(abs(psnr - psnrDB) < 0.1)
        // Average SNR of a one-hot map over K = 8 channels is PSNR − 10·log10(8).
        #expect(abs(snr - ChannelConventions.oneHotAverageSNRDB(psnrDB: psnrDB, classCount: 8)) < 0.1)
    }

    @Test(arguments: [-3.0, 0.0, 10.0, 25.0])
    func esN0ConventionMeasuresItsSettingOnOneHotMaps(esN0DB: Double) throws {
        var symbols = stripedOneHot().values
        var rng = SeededGenerator(seed: 11)
        let stats = AWGNChannel.esN0(esN0DB).apply(to: &symbols, using: &rng)
        // Noise scales to the measured power 1/8: σ² = (1/8)·10^(−Es/N0/10).
        #expect(abs(stats.noiseStd - (0.125 * ChannelConventions.linear(fromDecibels: -esN0DB)).squareRoot()) < 1e-12)
        #expect(abs(try #require(stats.measuredSNRDB) - esN0DB) < 0.1)
    }

    /// Unit-average-power complex symbols carried as I/Q pairs get σ = √(N0/2) per dimension.
    @Test func esN0OnUnitPowerComplexSymbolsIsHalfN0PerDimension() throws {
        let n = 1 << 20
        var rng = SeededGenerator(seed: 3)
        var symbols = (0..<n).map { _ in Float(rng.chance(0.5) ? 0.5.squareRoot() : -(0.5.squareRoot())) }
        let stats = AWGNChannel.esN0(6).apply(to: &symbols, using: &rng)
        let n0 = ChannelConventions.noiseDensity(esN0DB: 6)
        #expect(abs(stats.noiseStd - (n0 / 2).squareRoot()) < 1e-6)
        #expect(abs(stats.noisePower / (n0 / 2) - 1) < 0.01)
        #expect(abs(try #require(stats.measuredSNRDB) - 6) < 0.1)
    }

    @Test func gescoTableConventionUsesTheTablesSigma() throws {
        let channel = try AWGNChannel(.gescoTable(dB: 10))
        #expect(channel.noiseStd(signalPower: 0.125) == 0.36)
        var symbols = stripedOneHot(height: 128).values
        var rng = SeededGenerator(seed: 5)
        let stats = channel.apply(to: &symbols, using: &rng)
        #expect(abs(try #require(stats.measuredPSNRDB) - 8.87) < 0.1)
        #expect(throws: ChannelConfigurationError.self) { try AWGNChannel(.gescoTable(dB: 12)) }
        #expect(throws: ChannelConfigurationError.self) { try AWGNChannel(.psnr(dB: .nan)) }
        #expect(try AWGNChannel(.gescoTable(dB: 100)).noiseStd(signalPower: 1) == 0)
    }

    @Test func sameSeedSameNoiseDifferentSeedDifferentNoise() {
        let clean = stripedOneHot(classCount: 4, height: 16, width: 32).values
        func noisy(_ seed: UInt64) -> [Float] {
            var rng = SeededGenerator(seed: seed)
            return AWGNChannel.psnr(10).transmit(clean, using: &rng).symbols
        }
        let a = noisy(42), b = noisy(42), c = noisy(43)
        #expect(a == b)
        #expect(a != c)
        #expect(zip(a, c).filter { $0 == $1 }.count < 10)
        #expect(a != clean)
    }

    @Test func zeroNoiseAndEmptyInputsReportNilMeasurements() throws {
        var rng = SeededGenerator(seed: 1)
        var symbols: [Float] = [1, 0, 0, 1]
        let stats = try AWGNChannel(.gescoTable(dB: 100)).apply(to: &symbols, using: &rng)
        #expect(symbols == [1, 0, 0, 1])
        #expect(stats.measuredSNRDB == nil && stats.measuredPSNRDB == nil && stats.channelUses == 2)
        var empty: [Float] = []
        let none = AWGNChannel.esN0(3).apply(to: &empty, using: &rng)
        #expect(none.symbolCount == 0 && none.noiseStd == 0 && none.measuredSNRDB == nil)
        // An all-zero map under Es/N0 has no power to scale to: nothing is added.
        var zeros = [Float](repeating: 0, count: 10)
        let silent = AWGNChannel.esN0(3).apply(to: &zeros, using: &rng)
        #expect(zeros.allSatisfy { $0 == 0 } && silent.noiseStd == 0)
    }

    @Test func gaussianDrawsHaveUnitVarianceAndGaussianTails() {
        var rng = SeededGenerator(seed: 99)
        let z = GaussianNoise.standardNormal(count: 1_000_001, using: &rng)  // odd count: last pair half used
        let n = Double(z.count)
        let mean = z.reduce(0, +) / n
        let variance = z.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        #expect(abs(mean) < 0.005)
        #expect(abs(variance - 1) < 0.005)
        let beyond2 = Double(z.filter { abs($0) > 2 }.count) / n
        let beyond3 = Double(z.filter { abs($0) > 3 }.count) / n
        #expect(abs(beyond2 / (2 * gaussianQ(2)) - 1) < 0.03)
        #expect(abs(beyond3 / (2 * gaussianQ(3)) - 1) < 0.1)
    }
}
