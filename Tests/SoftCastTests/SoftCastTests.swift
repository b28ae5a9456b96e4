import Foundation
import Imaging
import Randomness
import Scenes
import Testing

@testable import SoftCast

@Suite("SoftCast: DCT, chunks, power allocation and LLSE decoding")
struct SoftCastTests {
    /// Training scenes (seed 1) for a profile, and held-out ones (seed 9001) to code.
    static let training: [RGBImage] = (0..<20).map { StreetSceneGenerator().scene(seed: 1, index: $0).image }
    static let heldOut: [RGBImage] = (0..<4).map { StreetSceneGenerator().scene(seed: 9001, index: $0).image }
    static let profile = try! SoftCastProfile.learn(images: training, source: "test")

    static func psnr(_ a: RGBImage, _ b: RGBImage) -> Double {
        let mse =
            zip(a.pixels, b.pixels).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) } / Double(a.pixels.count)
        return 10 * log10(255 * 255 / max(mse, 1e-12))
    }

    @Test("the DCT is orthonormal: forward then inverse gives the plane back, energy kept")
    func dctRoundTrip() {
        var random = SeededGenerator(seed: 3)
        let dct = DCT2D(height: 8, width: 16)
        let plane = (0..<128).map { _ in Float(random.next() % 1000) / 10 - 50 }
        let coefficients = dct.forward(plane)
        let back = dct.inverse(coefficients)
        #expect(zip(plane, back).allSatisfy { abs($0 - $1) < 1e-3 })
        let energy = { (v: [Float]) in v.reduce(0.0) { $0 + Double($1) * Double($1) } }
        #expect(abs(energy(plane) - energy(coefficients)) / energy(plane) < 1e-5)
        // A constant plane has only a DC coefficient: mean·√(H·W).
        let flat = dct.forward([Float](repeating: 2, count: 128))
        #expect(abs(flat[0] - 2 * Float(128).squareRoot()) < 1e-4 && flat.dropFirst().allSatisfy { abs($0) < 1e-4 })
    }

    @Test("no noise and every chunk kept: the image comes back exactly (to rounding)")
    func exactWithoutNoise() throws {
        let codec = try SoftCastCodec(profile: Self.profile)
        for image in Self.heldOut {
            let frame = try codec.encode(image, kept: Self.profile.chunkCount)
            let estimate = try codec.decode(metadata: frame.metadata, symbols: frame.symbols, noiseVariance: 0)
            let worst = zip(image.pixels, estimate.image.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
            #expect(worst <= 1, "largest pixel error \(worst)")
            #expect(estimate.expectedMSE < 1e-9)
        }
    }

    @Test("after fading, the per-symbol gains and noise variances the receiver knows are used: exact without noise")
    func knownFadingChannel() throws {
        let codec = try SoftCastCodec(profile: Self.profile)
        var random = SeededGenerator(seed: 21)
        let image = Self.heldOut[1]
        let frame = try codec.encode(image, kept: Self.profile.chunkCount)
        // Block fading: one gain per 128 symbols, as an equaliser reports it.
        let gains = (0..<frame.symbols.count).map { Float(0.2 + Double(($0 / 128) * 7919 % 100) / 50) }
        let faded = zip(frame.symbols, gains).map { $0 * $1 }
        let exact = try codec.decode(
            metadata: frame.metadata, symbols: faded,
            channel: .init(gains: gains, noiseVariances: [Float](repeating: 0, count: faded.count)))
        #expect(zip(image.pixels, exact.image.pixels).allSatisfy { abs(Int($0) - Int($1)) <= 1 })
        // With noise, weak blocks weigh less: knowing the gains beats assuming one average channel.
        let sigma2: Float = 0.05
        let noisy = faded.map { $0 + Float(Double(sigma2).squareRoot() * random.gaussian()) }
        let known = try codec.decode(
            metadata: frame.metadata, symbols: noisy,
            channel: .init(gains: gains, noiseVariances: [Float](repeating: sigma2, count: faded.count)))
        let unaware = try codec.decode(
            metadata: frame.metadata, symbols: noisy, noiseVariance: Double(sigma2))
        #expect(Self.psnr(image, known.image) > Self.psnr(image, unaware.image))
    }

    @Test("unit average power per complex channel use: ½ per real symbol, within the trim's 1/32 octave")
    func powerConstraint() throws {
        let codec = try SoftCastCodec(profile: Self.profile)
        for kept in [1, 17, 100, Self.profile.chunkCount] {
            let frame = try codec.encode(Self.heldOut[0], kept: kept)
            let power = frame.symbols.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(frame.symbols.count)
            #expect(abs(log2(power / 0.5)) <= 1.0 / 32 + 1e-9, "kept \(kept): power \(power)")
            #expect(frame.symbols.count == kept * 64 && codec.analogChannelUses(kept: kept) == kept * 32)
        }
    }

    @Test("LLSE matches the hand-computed estimate and error of one chunk")
    func llseByHand() throws {
        let codec = try SoftCastCodec(profile: Self.profile)
        let metadata = SoftCastMetadata(means: [128, 128, 128], gainTrim: 0, levels: [9])
        let lambda = codec.variance(level: 9), g = codec.gains(levels: [9], trim: 0)[0]
        // One chunk alone gets all the power: g² λ = ½.
        #expect(abs(g * g * lambda - 0.5) < 1e-9)
        let sigma2 = 0.1
        var symbols = [Float](repeating: 0, count: 64)
        symbols[0] = 20
        let estimate = try codec.decode(metadata: metadata, symbols: symbols, noiseVariance: sigma2)
        let weight = g * lambda / (g * g * lambda + sigma2)
        let chunk = Self.profile.order[0]
        // The first chunk of the order is the luma DC block: its (0,0) coefficient is weight·y, spread by the
        // inverse DCT evenly over the plane: every luma value (so R, G and B) shifts by weight·20/√(H·W).
        #expect(chunk == 0)
        let shift = weight * 20 / Double(Self.profile.width * Self.profile.height).squareRoot()
        #expect(estimate.image.pixels.allSatisfy { $0 == UInt8((128 + shift).rounded()) }, "shift \(shift)")
        let perCoefficient = lambda * sigma2 / (g * g * lambda + sigma2)
        var planeError = [0.0, 0.0, 0.0]
        planeError[0] = perCoefficient * 64
        for c in 1..<Self.profile.chunkCount {
            planeError[c / Self.profile.chunksPerPlane] += Self.profile.meanVariance[c] * 64
        }
        let pixels = Double(Self.profile.width * Self.profile.height)
        let expected = YCbCr.rgbMSE(planeMSE: planeError.map { $0 / pixels })
        #expect(abs(estimate.expectedMSE - expected) / expected < 1e-9)
    }

    @Test("more SNR and more chunks give a better image; the expected error tracks the measured one")
    func gracefulDegradation() throws {
        let codec = try SoftCastCodec(profile: Self.profile)
        var random = SeededGenerator(seed: 11)
        var previous = 0.0
        for (snr, kept) in [(0.0, 40), (10.0, 40), (10.0, 150), (30.0, 384)] {
            let sigma2 = 0.5 * pow(10, -snr / 10)
            var mean = 0.0
            for image in Self.heldOut {
                let frame = try codec.encode(image, kept: kept)
                let noisy = frame.symbols.map { $0 + Float(sigma2.squareRoot() * random.gaussian()) }
                let estimate = try codec.decode(metadata: frame.metadata, symbols: noisy, noiseVariance: sigma2)
                let measured = Self.psnr(image, estimate.image)
                let predicted = 10 * log10(255 * 255 / estimate.expectedMSE)
                #expect(abs(measured - predicted) < 4, "\(snr) dB, \(kept) chunks: \(measured) vs \(predicted) dB")
                mean += measured / Double(Self.heldOut.count)
            }
            #expect(mean > previous, "\(snr) dB, \(kept) chunks: \(mean) dB")
            previous = mean
        }
    }

    @Test("the chunks that fit a budget leave room for their metadata")
    func fitting() throws {
        let codec = try SoftCastCodec(profile: Self.profile)
        let bitsPerUse = { (bytes: Int) -> Int? in 8 * bytes }  // BPSK, uncoded
        let kept = codec.keptChunks(channelUses: 2048, metadataUses: bitsPerUse)
        #expect(8 * SoftCastMetadata.byteCount(kept: kept) + codec.analogChannelUses(kept: kept) <= 2048)
        #expect(8 * SoftCastMetadata.byteCount(kept: kept + 1) + codec.analogChannelUses(kept: kept + 1) > 2048)
        #expect(codec.keptChunks(channelUses: 10, metadataUses: bitsPerUse) == 0)
        #expect(codec.keptChunks(channelUses: 1 << 20, metadataUses: { _ in 1 }) == Self.profile.chunkCount)
    }

    @Test("metadata round-trips through its bytes; malformed bytes are refused")
    func metadataBytes() throws {
        for kept in [0, 1, 2, 7] {
            let metadata = SoftCastMetadata(
                means: [1, 2, 3], gainTrim: -5, levels: (0..<kept).map { UInt8($0 * 3 % 16) })
            let bytes = metadata.bytes()
            #expect(bytes.count == SoftCastMetadata.byteCount(kept: kept))
            #expect(try SoftCastMetadata(bytes: bytes, maxKept: 384) == metadata)
        }
        #expect(throws: SoftCastError.self) { try SoftCastMetadata(bytes: [1, 2, 3], maxKept: 384) }
        #expect(throws: SoftCastError.self) { try SoftCastMetadata(bytes: [1, 2, 3, 0, 1, 200], maxKept: 384) }
        #expect(throws: SoftCastError.self) { try SoftCastMetadata(bytes: [1, 2, 3, 0, 0, 3, 0x11], maxKept: 384) }
    }

    @Test("the shipped 64x128 profile reads, fits its size, and orders luma DC first")
    func shippedProfile() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let profile = try SoftCastProfile(path: root.appendingPathComponent("models/softcast/64x128.json").path)
        #expect(profile.width == 128 && profile.height == 64 && profile.chunkCount == 384 && profile.order[0] == 0)
    }
}
