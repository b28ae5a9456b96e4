import Foundation
import Imaging

/// What SoftCast's sender and receiver agree on before any frame: the image size, the chunk size, the order in
/// which chunks are kept, each chunk's mean variance, and the range of the variance quantiser — all learned
/// once from training scenes (`semcom softcast profile`, shipped in `models/softcast/`). A fixed order means the
/// frame need not say which chunks it carries (a bitmap would cost more than the variances it saves).
public struct SoftCastProfile: Codable, Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// Chunk side in coefficients (chunks are chunk × chunk blocks of one plane's DCT).
    public var chunk: Int
    /// Chunk indices in the order they are kept: descending mean variance over the training images. A chunk's
    /// index is plane·chunksPerPlane + row·chunksAcross + column.
    public var order: [Int]
    /// Each chunk's mean coefficient variance over the training images, indexed like chunks: the expected
    /// squared error of a chunk that is not sent.
    public var meanVariance: [Double]
    /// The variance quantiser: `SoftCastMetadata.levels` levels of log2 variance, evenly over [low, high).
    public var logVarianceLow: Double
    public var logVarianceHigh: Double
    /// What the profile was learned from.
    public var source: String

    public var chunksAcross: Int { width / chunk }
    public var chunksPerPlane: Int { (width / chunk) * (height / chunk) }
    public var chunkCount: Int { 3 * chunksPerPlane }

    /// Reads a profile file (JSON).
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SoftCastError("\(path): cannot read the SoftCast profile")
        }
        try self.init(data: data, source: path)
    }

    /// Decodes a profile file's bytes (`source` names them in errors).
    public init(data: Data, source: String) throws {
        do {
            self = try JSONDecoder().decode(SoftCastProfile.self, from: data)
        } catch {
            throw SoftCastError("\(source): not a SoftCast profile (\(error))")
        }
        try validate()
    }

    init(
        width: Int, height: Int, chunk: Int, order: [Int], meanVariance: [Double], logVarianceLow: Double,
        logVarianceHigh: Double, source: String
    ) {
        self.width = width
        self.height = height
        self.chunk = chunk
        self.order = order
        self.meanVariance = meanVariance
        self.logVarianceLow = logVarianceLow
        self.logVarianceHigh = logVarianceHigh
        self.source = source
    }

    /// Checks that the fields describe one consistent layout.
    public func validate() throws {
        guard chunk > 0, width > 0, height > 0, width % chunk == 0, height % chunk == 0 else {
            throw SoftCastError("profile size \(width)x\(height) is not a positive multiple of its chunk \(chunk)")
        }
        guard order.count == chunkCount, Set(order) == Set(0..<chunkCount), meanVariance.count == chunkCount,
            logVarianceLow < logVarianceHigh
        else { throw SoftCastError("profile order, variances or quantiser range do not fit \(chunkCount) chunks") }
    }

    /// The profile file's bytes (JSON, keys sorted).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    /// Learns a profile from `images` (all `width`×`height`).
    public static func learn(images: [RGBImage], chunk: Int = 8, source: String) throws -> SoftCastProfile {
        guard let first = images.first else { throw SoftCastError("no images to learn a SoftCast profile from") }
        let (width, height) = (first.width, first.height)
        var profile = SoftCastProfile(
            width: width, height: height, chunk: chunk, order: [], meanVariance: [], logVarianceLow: 0,
            logVarianceHigh: 1, source: source)
        guard width % chunk == 0, height % chunk == 0 else {
            throw SoftCastError("image size \(width)x\(height) is not a multiple of the chunk \(chunk)")
        }
        let dct = DCT2D(height: height, width: width)
        var sums = [Double](repeating: 0, count: profile.chunkCount)
        var logs: [Double] = []
        for image in images {
            guard image.width == width, image.height == height else {
                throw SoftCastError("training images differ in size (\(image.width)x\(image.height))")
            }
            let variances = SoftCastCodec.chunkVariances(
                SoftCastCodec.coefficients(image, dct: dct, means: SoftCastCodec.planeMeans(image)), profile: profile)
            for (i, v) in variances.enumerated() {
                sums[i] += v
                if v > 0 { logs.append(log2(v)) }
            }
        }
        profile.meanVariance = sums.map { $0 / Double(images.count) }
        profile.order = Array(0..<profile.chunkCount).sorted {
            profile.meanVariance[$0] > profile.meanVariance[$1]
                || (profile.meanVariance[$0] == profile.meanVariance[$1] && $0 < $1)
        }
        logs.sort()
        // The quantiser spans the 1st to the 100th percentile: rarer tiny variances go to the lowest level.
        profile.logVarianceLow = (logs.isEmpty ? -4 : logs[logs.count / 100]).rounded(.down)
        profile.logVarianceHigh = (logs.last ?? 16).rounded(.up) + 1
        try profile.validate()
        return profile
    }
}

/// A SoftCast input, profile or frame that does not fit.
public struct SoftCastError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
