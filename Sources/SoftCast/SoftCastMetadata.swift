/// What a SoftCast frame sends digitally besides its analog symbols, so the receiver can decode them: the three
/// planes' means, a gain trim that makes the average power exact, and one variance level per kept chunk (in the
/// profile's order; their count says how many chunks were kept). Bits: 24 + 8 + 16 + 4 per kept chunk.
public struct SoftCastMetadata: Sendable, Equatable {
    /// Levels of the log-variance quantiser (4 bits).
    public static let levels = 16

    /// Each plane's mean pixel value, rounded (Y, Cb, Cr with 128 added back).
    public var means: [UInt8]
    /// Power correction, in 1/16 octave of power: every gain is multiplied by 2^(−trim/32).
    public var gainTrim: Int8
    /// Variance level per kept chunk, each below `levels`.
    public var levels: [UInt8]

    public init(means: [UInt8], gainTrim: Int8, levels: [UInt8]) {
        self.means = means
        self.gainTrim = gainTrim
        self.levels = levels
    }

    /// Chunks kept.
    public var kept: Int { levels.count }

    /// Bits of the metadata of a frame keeping `kept` chunks.
    public static func bits(kept: Int) -> Int { 24 + 8 + 16 + 4 * kept }

    /// Bytes of that metadata.
    public static func byteCount(kept: Int) -> Int { (bits(kept: kept) + 7) / 8 }

    /// The metadata as bytes: means, trim, kept count (u16 big-endian), then two levels per byte, high nibble
    /// first (a last odd level in the high nibble, the low one zero).
    public func bytes() -> [UInt8] {
        var out = means + [UInt8(bitPattern: gainTrim), UInt8(kept >> 8), UInt8(kept & 0xFF)]
        for pair in stride(from: 0, to: kept, by: 2) {
            out.append(levels[pair] << 4 | (pair + 1 < kept ? levels[pair + 1] : 0))
        }
        return out
    }

    /// Parses `bytes`; `maxKept` is the profile's chunk count.
    public init(bytes: [UInt8], maxKept: Int) throws {
        guard bytes.count >= 6 else { throw SoftCastError("SoftCast metadata truncated (\(bytes.count) bytes)") }
        let kept = Int(bytes[4]) << 8 | Int(bytes[5])
        guard kept <= maxKept else { throw SoftCastError("SoftCast metadata keeps \(kept) chunks of \(maxKept)") }
        guard bytes.count == Self.byteCount(kept: kept) else {
            throw SoftCastError(
                "SoftCast metadata for \(kept) chunks is \(Self.byteCount(kept: kept)) bytes, not \(bytes.count)")
        }
        means = Array(bytes[0..<3])
        gainTrim = Int8(bitPattern: bytes[3])
        levels = (0..<kept).map { i in
            let byte = bytes[6 + i / 2]
            return i % 2 == 0 ? byte >> 4 : byte & 0x0F
        }
        if kept % 2 == 1, bytes[6 + kept / 2] & 0x0F != 0 {
            throw SoftCastError("SoftCast metadata's padding nibble is not zero")
        }
    }
}
