import Imaging

/// A classical image codec as the equal-budget baselines use it (docs/budget.md): encode at a quality, decode,
/// and find the best quality whose stream fits a byte budget.
///
/// The bytes `encode` returns are exactly what crosses the channel: the receiver knows only the codec, the
/// image size (from the frame's protected header) and these bytes. What each codec counts (its headers, or a
/// lean carriage of the bitstream without a container) is stated on the type.
public protocol ImageCodec: Sendable {
    /// The mode name in `semcom eval` (`jpeg`, `jpeg444`, `jpeg2000`, `webp`, `avif`, `hevc`).
    var name: String { get }
    /// The quality knob, low to high; a higher quality never means a deliberately smaller stream, though
    /// a codec's sizes need not be strictly monotonic in it.
    var qualities: ClosedRange<Int> { get }
    /// Encodes `image` at `quality` (within `qualities`).
    func encode(_ image: RGBImage, quality: Int) throws(CodecError) -> [UInt8]
    /// Decodes a stream of this codec into an image of `width` × `height`; a corrupt or truncated stream, or
    /// one of another size, is a `CodecError`, never a crash.
    func decode(_ bytes: [UInt8], width: Int, height: Int) throws(CodecError) -> RGBImage
}

/// Why a codec could not encode or decode.
public enum CodecError: Error, Equatable, CustomStringConvertible {
    /// The stream is not a valid stream of the codec (corrupt, truncated, garbage).
    case corrupt(codec: String, detail: String)
    /// The stream decoded to another size than the frame announced.
    case wrongSize(codec: String, expected: String, got: String)
    /// The quality is outside the codec's range.
    case badQuality(codec: String, quality: Int, range: ClosedRange<Int>)
    /// The library refused to encode (out of memory, unsupported input).
    case encoderFailed(codec: String, detail: String)

    public var description: String {
        switch self {
        case .corrupt(let codec, let detail): "\(codec): corrupt or truncated stream (\(detail))"
        case .wrongSize(let codec, let expected, let got): "\(codec): stream decodes to \(got), expected \(expected)"
        case .badQuality(let codec, let quality, let range):
            "\(codec): quality \(quality) is outside \(range.lowerBound)…\(range.upperBound)"
        case .encoderFailed(let codec, let detail): "\(codec): encoding failed (\(detail))"
        }
    }
}

extension ImageCodec {
    /// The stream of the highest quality whose size is at most `maxBytes`, and that quality; nil when even the
    /// lowest quality does not fit.
    ///
    /// A binary search for the largest quality that fits (sizes are nearly monotonic in quality), then a
    /// scan upwards until three qualities in a row do not fit, so a small non-monotonic step never hides a
    /// better stream that fits. The result never exceeds `maxBytes`.
    public func encode(_ image: RGBImage, maxBytes: Int) throws(CodecError) -> (bytes: [UInt8], quality: Int)? {
        guard maxBytes > 0 else { return nil }
        var cache: [Int: [UInt8]] = [:]
        func stream(_ q: Int) throws(CodecError) -> [UInt8] {
            if let hit = cache[q] { return hit }
            let bytes = try encode(image, quality: q)
            cache[q] = bytes
            return bytes
        }
        var low = qualities.lowerBound, high = qualities.upperBound
        guard try stream(low).count <= maxBytes else { return nil }
        // Invariant: `low` fits; everything above `high` was not tried or does not fit.
        while low < high {
            let mid = (low + high + 1) / 2
            if try stream(mid).count <= maxBytes { low = mid } else { high = mid - 1 }
        }
        // Look past the last fit for three more qualities, restarting the window at each new fit, so the
        // quality just above the answer is always known not to fit.
        var best = low
        var q = low + 1
        while q <= qualities.upperBound, q <= best + 3 {
            if try stream(q).count <= maxBytes { best = q }
            q += 1
        }
        return (try stream(best), best)
    }
}
