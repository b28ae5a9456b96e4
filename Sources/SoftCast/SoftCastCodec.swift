import Foundation
import Imaging

/// SoftCast (Jakubczak and Katabi, MobiCom 2011), full frame: the image's three YCbCr planes are DCT'd, the
/// coefficients cut into chunk × chunk blocks; the chunks that fit the budget go out as analog symbols, chunk i
/// scaled by g_i = λ_i^(−1/4)·√(K / (2·Σ_j √λ_j)) (MSE-optimal linear power allocation, unit average power per
/// complex channel use: ½ per real symbol), and the receiver estimates each coefficient by linear least squares,
/// x̂ = g λ / (g² λ + σ²)·y, knowing λ from the metadata and σ² from its channel. Its error is therefore known
/// per coefficient; a chunk not sent costs its mean variance (the profile's).
public struct SoftCastCodec: Sendable {
    public let profile: SoftCastProfile
    private let dct: DCT2D
    private let layout: SoftCastLayout

    public init(profile: SoftCastProfile) throws {
        try profile.validate()
        self.profile = profile
        dct = DCT2D(height: profile.height, width: profile.width)
        layout = SoftCastLayout(profile)
    }

    /// A frame as the sender makes it: digital metadata and analog symbols (two per complex channel use).
    public struct Frame: Sendable, Equatable {
        public var metadata: SoftCastMetadata
        public var symbols: [Float]
    }

    /// What the receiver makes of a frame: the image and its expected mean squared error per RGB value
    /// (0…255 units², before rounding), from the metadata and σ² alone.
    public struct Estimate: Sendable {
        public var image: RGBImage
        public var expectedMSE: Double
    }

    /// Real symbols per chunk.
    public var symbolsPerChunk: Int { profile.chunk * profile.chunk }

    /// Complex channel uses of the analog part of a frame keeping `kept` chunks.
    public func analogChannelUses(kept: Int) -> Int { (kept * symbolsPerChunk + 1) / 2 }

    /// The most chunks that fit `channelUses` complex channel uses together with their metadata, which costs
    /// `metadataUses(bytes)` uses (nil: it does not fit at all); 0 when not even the metadata of none fits.
    public func keptChunks(channelUses: Int, metadataUses: (Int) -> Int?) -> Int {
        var low = 0, high = profile.chunkCount
        func fits(_ kept: Int) -> Bool {
            guard let uses = metadataUses(SoftCastMetadata.byteCount(kept: kept)) else { return false }
            return uses + analogChannelUses(kept: kept) <= channelUses
        }
        guard fits(0) else { return 0 }
        while low < high {
            let middle = (low + high + 1) / 2
            if fits(middle) { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// The frame of `image` keeping the first `kept` chunks of the profile's order.
    public func encode(_ image: RGBImage, kept: Int) throws -> Frame {
        guard image.width == profile.width, image.height == profile.height else {
            throw SoftCastError(
                "image \(image.width)x\(image.height) differs from the profile's \(profile.width)x\(profile.height)")
        }
        let kept = max(0, min(kept, profile.chunkCount))
        let means = Self.planeMeans(image)
        let coefficients = Self.coefficients(image, dct: dct, means: means)
        let variances = Self.chunkVariances(coefficients, profile: profile)
        let chunks = Array(profile.order.prefix(kept))
        let levels = chunks.map { quantise(variances[$0]) }
        let gains = gains(levels: levels, trim: 0)
        var symbols: [Float] = []
        symbols.reserveCapacity(kept * symbolsPerChunk)
        for (slot, chunk) in chunks.enumerated() {
            for value in layout.values(coefficients, chunk: chunk) { symbols.append(Float(gains[slot]) * value) }
        }
        // The gains follow the quantised variances; the trim brings the actual mean power to ½ per real symbol.
        var trim: Int8 = 0
        if !symbols.isEmpty {
            let power = symbols.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(symbols.count)
            if power > 0 {
                trim = Int8(max(-127, min(127, (16 * log2(power / 0.5)).rounded())))
                let factor = Float(pow(2, -Double(trim) / 32))
                for i in symbols.indices { symbols[i] *= factor }
            }
        }
        return Frame(metadata: SoftCastMetadata(means: means, gainTrim: trim, levels: levels), symbols: symbols)
    }

    /// The LLSE estimate of the image from `symbols` as received (the frame's count), with real noise variance
    /// `noiseVariance` per symbol (AWGN).
    public func decode(metadata: SoftCastMetadata, symbols: [Float], noiseVariance: Double) throws -> Estimate {
        try decode(
            metadata: metadata, symbols: symbols,
            channel: ReceivedChannel(
                gains: nil, noiseVariances: [Float](repeating: Float(max(0, noiseVariance)), count: symbols.count)))
    }

    /// What the receiver knows of the channel each real symbol crossed: y_j = c_j·s_j + w_j, w_j of variance v_j
    /// (after a fading channel's equaliser: its gain and noise variance per symbol).
    public struct ReceivedChannel: Sendable {
        /// c_j per real symbol; nil: 1.
        public var gains: [Float]?
        /// v_j per real symbol.
        public var noiseVariances: [Float]

        public init(gains: [Float]?, noiseVariances: [Float]) {
            self.gains = gains
            self.noiseVariances = noiseVariances
        }
    }

    /// The LLSE estimate per coefficient, x̂ = G λ c / (G² λ c² + v)·y, its error λ v / (G² λ c² + v).
    public func decode(metadata: SoftCastMetadata, symbols: [Float], channel: ReceivedChannel) throws -> Estimate {
        let kept = metadata.kept
        guard kept <= profile.chunkCount, symbols.count == kept * symbolsPerChunk, metadata.means.count == 3,
            metadata.levels.allSatisfy({ Int($0) < SoftCastMetadata.levels }),
            channel.noiseVariances.count == symbols.count, channel.gains.map({ $0.count == symbols.count }) ?? true
        else {
            throw SoftCastError(
                "SoftCast frame: \(symbols.count) symbols for \(kept) chunks of \(symbolsPerChunk) (or bad metadata)")
        }
        let gains = gains(levels: metadata.levels, trim: metadata.gainTrim)
        let planeSize = profile.width * profile.height
        var coefficients = [[Float]](repeating: [Float](repeating: 0, count: planeSize), count: 3)
        var squaredError = [Double](repeating: 0, count: 3)
        var sent = [Bool](repeating: false, count: profile.chunkCount)
        for (slot, chunk) in profile.order.prefix(kept).enumerated() {
            sent[chunk] = true
            let lambda = variance(level: metadata.levels[slot]), g = gains[slot]
            var values = [Float](repeating: 0, count: symbolsPerChunk)
            var error = 0.0
            for k in 0..<symbolsPerChunk {
                let j = slot * symbolsPerChunk + k
                let c = Double(channel.gains?[j] ?? 1), v = max(0, Double(channel.noiseVariances[j]))
                let denominator = g * g * lambda * c * c + v
                guard denominator > 0 else {
                    error += lambda
                    continue
                }
                values[k] = Float(g * lambda * c / denominator) * symbols[j]
                error += lambda * v / denominator
            }
            layout.set(&coefficients, chunk: chunk, values: values)
            squaredError[chunk / profile.chunksPerPlane] += error
        }
        for chunk in 0..<profile.chunkCount where !sent[chunk] {
            squaredError[chunk / profile.chunksPerPlane] += profile.meanVariance[chunk] * Double(symbolsPerChunk)
        }
        var planes: [[Float]] = []
        for plane in 0..<3 {
            let offset = Float(metadata.means[plane]) - 128
            planes.append(dct.inverse(coefficients[plane]).map { $0 + offset })
        }
        return Estimate(
            image: YCbCr.image(planes: planes, width: profile.width, height: profile.height),
            expectedMSE: YCbCr.rgbMSE(planeMSE: squaredError.map { $0 / Double(planeSize) }))
    }

    // MARK: Parts

    /// Each plane's mean pixel value, rounded (the centred mean + 128).
    static func planeMeans(_ image: RGBImage) -> [UInt8] {
        YCbCr.planes(of: image).map { plane in
            let mean = plane.reduce(0.0) { $0 + Double($1) } / Double(plane.count) + 128
            return UInt8(max(0, min(255, mean.rounded())))
        }
    }

    /// The DCT of each centred plane less its sent mean.
    static func coefficients(_ image: RGBImage, dct: DCT2D, means: [UInt8]) -> [[Float]] {
        zip(YCbCr.planes(of: image), means).map { plane, mean in
            let offset = Float(mean) - 128
            return dct.forward(plane.map { $0 - offset })
        }
    }

    /// The mean square of each chunk's coefficients (the chunks are taken as zero-mean).
    static func chunkVariances(_ coefficients: [[Float]], profile: SoftCastProfile) -> [Double] {
        let layout = SoftCastLayout(profile)
        return (0..<profile.chunkCount).map { chunk in
            layout.values(coefficients, chunk: chunk).reduce(0.0) { $0 + Double($1) * Double($1) }
                / Double(profile.chunk * profile.chunk)
        }
    }

    /// The level of variance `lambda`.
    func quantise(_ lambda: Double) -> UInt8 {
        guard lambda > 0 else { return 0 }
        let step = (profile.logVarianceHigh - profile.logVarianceLow) / Double(SoftCastMetadata.levels)
        let level = Int(((log2(lambda) - profile.logVarianceLow) / step).rounded(.down))
        return UInt8(max(0, min(SoftCastMetadata.levels - 1, level)))
    }

    /// The variance a level stands for: its interval's geometric middle.
    func variance(level: UInt8) -> Double {
        let step = (profile.logVarianceHigh - profile.logVarianceLow) / Double(SoftCastMetadata.levels)
        return pow(2, profile.logVarianceLow + (Double(level) + 0.5) * step)
    }

    /// g_i = λ̂_i^(−1/4)·√(K / (2·Σ_j √λ̂_j)) · 2^(−trim/32).
    func gains(levels: [UInt8], trim: Int8) -> [Double] {
        guard !levels.isEmpty else { return [] }
        let lambdas = levels.map { variance(level: $0) }
        let scale = (Double(levels.count) / (2 * lambdas.reduce(0) { $0 + $1.squareRoot() })).squareRoot()
        let factor = pow(2, -Double(trim) / 32)
        return lambdas.map { pow($0, -0.25) * scale * factor }
    }
}

/// Where a chunk's coefficients sit: chunk index → plane, block row and column.
struct SoftCastLayout {
    let profile: SoftCastProfile
    init(_ profile: SoftCastProfile) { self.profile = profile }

    /// The chunk's coefficients, row-major within the block.
    func values(_ coefficients: [[Float]], chunk: Int) -> [Float] {
        let (plane, top, left) = origin(chunk)
        var out: [Float] = []
        out.reserveCapacity(profile.chunk * profile.chunk)
        for y in top..<(top + profile.chunk) {
            for x in left..<(left + profile.chunk) { out.append(coefficients[plane][y * profile.width + x]) }
        }
        return out
    }

    func set(_ coefficients: inout [[Float]], chunk: Int, values: [Float]) {
        let (plane, top, left) = origin(chunk)
        var i = 0
        for y in top..<(top + profile.chunk) {
            for x in left..<(left + profile.chunk) {
                coefficients[plane][y * profile.width + x] = values[i]
                i += 1
            }
        }
    }

    private func origin(_ chunk: Int) -> (plane: Int, top: Int, left: Int) {
        let plane = chunk / profile.chunksPerPlane, within = chunk % profile.chunksPerPlane
        return (plane, (within / profile.chunksAcross) * profile.chunk, (within % profile.chunksAcross) * profile.chunk)
    }
}
