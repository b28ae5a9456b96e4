import Randomness

/// A binary symmetric channel: every bit flips independently with probability p.
///
/// Bits are numbered most significant first within each byte (bit 0 is `bytes[0] & 0x80`),
/// the order a serial link sends them. Flips are placed by geometric skipping: the gap to
/// the next error is drawn directly, ⌊ln U / ln(1 − p)⌋ with U uniform in (0, 1], so the cost
/// is one uniform draw per *error* rather than one per bit — at p = 10⁻⁶ a megabyte costs
/// about eight draws. The flip pattern is exactly that of independent Bernoulli(p) bits.
public struct BinarySymmetricChannel: Sendable, Hashable {
    /// The probability that a bit flips, in [0, 1].
    public let crossoverProbability: Double

    /// A channel flipping bits with probability `crossoverProbability` (0…1).
    public init(crossoverProbability p: Double) throws(ChannelConfigurationError) {
        guard p >= 0 && p <= 1 else {
            throw ChannelConfigurationError("bit error probability \(p) is outside 0…1")
        }
        crossoverProbability = p
    }

    /// Flips bits of `bytes` in place.
    @discardableResult
    public func apply(to bytes: inout [UInt8], using rng: inout SeededGenerator) -> BitErrorStatistics {
        bytes.withUnsafeMutableBufferPointer { apply(to: $0, using: &rng) }
    }

    /// Flips bits of `bytes` in place.
    public func apply(to bytes: UnsafeMutableBufferPointer<UInt8>, using rng: inout SeededGenerator)
        -> BitErrorStatistics
    {
        let totalBits = bytes.count * 8
        let p = crossoverProbability
        var flipped = 0
        if p >= 1 {
            for i in bytes.indices { bytes[i] = ~bytes[i] }
            flipped = totalBits
        } else if p > 0 {
            // ln(1 − p) via log1p keeps precision when p is tiny (1 − p rounds to 1 below 1e-16).
            let logQ = libmLog1p(-p)
            var position = 0
            while position < totalBits {
                let u = 1 - rng.nextDouble()  // (0, 1]: ln U is finite
                let gap = (libmLog(u) / logQ).rounded(.down)
                // Compare in Double first: a huge gap would overflow Int.
                if gap >= Double(totalBits - position) { break }
                position += Int(gap)
                bytes[position >> 3] ^= UInt8(0x80) >> UInt8(position & 7)
                flipped += 1
                position += 1
            }
        }
        return BitErrorStatistics(bitsOnAir: totalBits, bitErrors: flipped, channelUses: totalBits)
    }
}

/// What a bit-level channel did to one payload.
public struct BitErrorStatistics: Sendable, Hashable {
    /// Bits that crossed the channel.
    public let bitsOnAir: Int
    /// Bits that arrived flipped.
    public let bitErrors: Int
    /// Complex channel uses spent (one per bit for BPSK).
    public let channelUses: Int

    /// Measured bit error rate (0 when no bits were sent).
    public var bitErrorRate: Double { bitsOnAir > 0 ? Double(bitErrors) / Double(bitsOnAir) : 0 }
}
