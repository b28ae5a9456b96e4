import Randomness
import Testing

@testable import ChannelModels

@Suite("Potts mean-field map denoiser and the analog noise estimate")
struct PottsDenoiserTests {
    static let width = 96, height = 48
    static let present: [UInt8] = [0, 1, 2, 5]

    /// Road (0) below, sidewalk (1) above, a vertical pole (5) one pixel wide and a sign (2) two
    /// pixels wide, and a void patch: the structures FDS erases.
    static let labels: [UInt8] = {
        var labels = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                var id: UInt8 = y < height / 2 ? 1 : 0
                if x == 30 && y >= 4 && y < 40 { id = 5 }
                if (60...61).contains(x) && y >= 10 && y < 30 { id = 2 }
                if x >= 80 && y >= 40 { id = 255 }
                labels[y * width + x] = id
            }
        }
        return labels
    }()

    static func received(psnrDB: Double, seed: UInt64 = 5) -> ClassPlanes {
        var planes = ClassPlanes.oneHot(labels: labels, width: width, height: height, classIDs: present)
        var rng = SeededGenerator(seed: seed)
        AWGNChannel.psnr(psnrDB).apply(to: &planes.values, using: &rng)
        return planes
    }

    static func decodePotts(_ planes: ClassPlanes) -> [UInt8] {
        let sigma = AnalogNoiseEstimate.standardDeviation(of: planes.values)
        return FastDenoisingSemantic.labelIDs(
            classIndices: PottsDenoiser.decide(planes, noiseStd: sigma), presentClassIDs: present)
    }

    /// Share of the pixels of class `id` decided as `id`.
    static func recall(_ decided: [UInt8], of id: UInt8) -> Double {
        let pixels = labels.indices.filter { labels[$0] == id }
        return Double(pixels.filter { decided[$0] == id }.count) / Double(pixels.count)
    }

    @Test func cleanSymbolsDecideTheSentMapIncludingThinStructuresAndVoid() {
        let planes = ClassPlanes.oneHot(
            labels: Self.labels, width: Self.width, height: Self.height, classIDs: Self.present)
        #expect(AnalogNoiseEstimate.standardDeviation(of: planes.values) == 0)
        #expect(Self.decodePotts(planes) == Self.labels)
        // FDS, for contrast, erases the pole entirely.
        let fds = FastDenoisingSemantic.decodeLabels(planes, presentClassIDs: Self.present)
        #expect(Self.recall(fds, of: 5) == 0)
    }

    /// A one-pixel pole keeps 0.72 of its pixels at 10 dB (seed 5); FDS keeps none.
    @Test func atTenDecibelsPottsKeepsThePoleThatFDSLoses() {
        let planes = Self.received(psnrDB: 10)
        let potts = Self.decodePotts(planes)
        let fds = FastDenoisingSemantic.decodeLabels(planes, presentClassIDs: Self.present)
        let raw = FastDenoisingSemantic.decodeLabels(planes, presentClassIDs: Self.present, denoise: false)
        func accuracy(_ d: [UInt8]) -> Double {
            Double(zip(d, Self.labels).filter { $0 == $1 }.count) / Double(d.count)
        }
        #expect(Self.recall(potts, of: 5) > 0.6, "pole recall \(Self.recall(potts, of: 5))")
        #expect(Self.recall(potts, of: 2) > 0.9)
        #expect(Self.recall(fds, of: 5) < 0.2)
        #expect(accuracy(potts) > 0.99)
        #expect(accuracy(potts) > accuracy(fds) && accuracy(fds) > accuracy(raw))
    }

    @Test func denoiseWritesOneHotPlanesOfTheDecision() {
        let planes = Self.received(psnrDB: 5)
        let decision = PottsDenoiser.decide(planes, noiseStd: 0.56)
        let onehot = PottsDenoiser.denoise(planes, noiseStd: 0.56)
        for p in 0..<planes.planeSize {
            let column = (0..<planes.channels).map { onehot.values[$0 * planes.planeSize + p] }
            if decision[p] == planes.channels {
                #expect(column.allSatisfy { $0 == 0 })
            } else {
                #expect(column.reduce(0, +) == 1 && column[decision[p]] == 1)
            }
        }
    }

    @Test func marginalsAreDistributions() {
        let q = PottsDenoiser.marginals(Self.received(psnrDB: 1), noiseStd: 0.89)
        #expect(q.channels == Self.present.count + 1)
        for p in stride(from: 0, to: q.planeSize, by: 97) {
            let total = (0..<q.channels).map { q.values[$0 * q.planeSize + p] }.reduce(0, +)
            #expect(abs(total - 1) < 1e-5)
        }
    }

    @Test func neighbourSumsCountTheEightNeighboursInsideTheMap() {
        let planes = ClassPlanes(channels: 1, height: 3, width: 3, values: [Float](repeating: 1, count: 9))
        #expect(PottsDenoiser.neighbourSums(planes).values == [3, 5, 3, 5, 8, 5, 3, 5, 3])
        let single = ClassPlanes(channels: 1, height: 1, width: 1, values: [1])
        #expect(PottsDenoiser.neighbourSums(single).values == [0])
    }

    @Test(arguments: [20.0, 10, 5, 1])
    func noiseEstimateIsWithinTwoPercent(psnrDB: Double) {
        let sigma = AnalogNoiseEstimate.standardDeviation(of: Self.received(psnrDB: psnrDB, seed: 9).values)
        let truth = Float(ChannelConventions.noiseStd(psnrDB: psnrDB))
        #expect(abs(sigma / truth - 1) < 0.02, "estimated \(sigma) for σ = \(truth)")
    }

    @Test func noiseEstimateOfNothingIsZero() {
        #expect(AnalogNoiseEstimate.standardDeviation(of: []) == 0)
        #expect(AnalogNoiseEstimate.standardDeviation(of: [0, 1, 1, 0]) == 0)
    }
}

@Suite("Per-block channel fit after Rayleigh block fading")
struct FadingEstimateTests {
    /// Blocks of 256 one-hot symbols (K = 8: every 8th symbol is 1) at known levels and MMSE's noise.
    static func mmseBlocks(levels: [Float], seed: UInt64 = 4) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        var values: [Float] = []
        for a in levels {
            let std = (a * (1 - a) / 8).squareRoot()
            for i in 0..<256 {
                let x: Float = i % 8 == 3 ? 1 : 0
                values.append(a * x + std * Float(rng.gaussian()))
            }
        }
        return values
    }

    @Test func mmseLevelsAreRecoveredPerBlock() {
        let levels: [Float] = [0.05, 0.3, 0.6, 0.9, 0.99]
        let fit = FadingEstimate.fit(Self.mmseBlocks(levels: levels), blockLength: 256, classCount: 8)
        #expect(fit.family == .mmse)
        #expect(fit.blocks.count == levels.count)
        for (channel, truth) in zip(fit.blocks, levels) {
            #expect(abs(channel.level - truth) < 0.05, "level \(channel.level) for \(truth)")
        }
    }

    @Test func zeroForcingBlocksKeepLevelOneAndTheirOwnNoise() {
        var rng = SeededGenerator(seed: 6)
        let stds: [Float] = [0.05, 0.2, 0.8]
        var values: [Float] = []
        for s in stds {
            for i in 0..<512 { values.append((i % 4 == 0 ? 1 : 0) + s * Float(rng.gaussian())) }
        }
        let fit = FadingEstimate.fit(values, blockLength: 512, classCount: 4)
        #expect(fit.family == .zeroForcing)
        for (channel, truth) in zip(fit.blocks, stds) {
            #expect(channel.level == 1)
            #expect(
                abs(channel.variance.squareRoot() / truth - 1) < 0.15, "σ \(channel.variance.squareRoot()) for \(truth)"
            )
        }
    }

    /// One present class: 1s everywhere but at void pixels, which a share of 1 would call impossible.
    @Test func oneClassMapsFitFinitely() {
        var rng = SeededGenerator(seed: 8)
        let values = (0..<1024).map { i in Float(i % 10 == 0 ? 0 : 0.7) + 0.1 * Float(rng.gaussian()) }
        let fit = FadingEstimate.fit(values, blockLength: 256, classCount: 1)
        #expect(fit.logLikelihood.isFinite)
        for channel in fit.blocks {
            #expect(channel.level.isFinite && channel.variance.isFinite && channel.variance > 0)
        }
    }

    /// A frame's last block shorter than `minimumBlockLength` takes the channel of the block before it; a
    /// huge finite symbol leaves the fit finite.
    @Test func shortLastBlocksAndHugeSymbols() {
        var values = Self.mmseBlocks(levels: [0.5, 0.8]) + [0.8, 0, 0, 0.8]
        let fit = FadingEstimate.fit(values, blockLength: 256, classCount: 8)
        #expect(fit.blocks.count == 3 && fit.blocks[2] == fit.blocks[1])
        values[10] = 1e30
        let huge = FadingEstimate.fit(values, blockLength: 256, classCount: 8)
        #expect(huge.logLikelihood.isFinite && huge.blocks.allSatisfy { $0.level.isFinite && $0.variance.isFinite })
    }

    /// A faded 1 is evidence for 1 under its block's channel, where one σ for the frame calls it a 0.
    @Test func aFadedOneIsStillAOne() {
        let shrunk = SymbolChannel(level: 0.2, variance: 0.2 * 0.8 / 8)
        #expect(shrunk.logLikelihoodRatio(0.2) > 0)
        #expect(SymbolChannel(level: 1, variance: 0.01).logLikelihoodRatio(0.2) < 0)
    }
}
