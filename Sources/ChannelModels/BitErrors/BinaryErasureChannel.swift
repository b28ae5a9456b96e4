import Randomness

/// A binary erasure channel on LLRs: each bit is erased (its LLR set to 0, "no information")
/// independently with probability ε, and otherwise arrives with certainty. For fast abstract runs of
/// the decoders without modulation: feed `transmit(bits:)` to a decoder that takes LLRs.
public struct BinaryErasureChannel: Sendable, Hashable {
    /// The erasure probability ε, in [0, 1].
    public let erasureProbability: Double
    /// The magnitude of the LLR of a bit that was not erased.
    public static let certainLLR: Float = 100

    public init(erasureProbability: Double) throws(ChannelConfigurationError) {
        guard erasureProbability >= 0 && erasureProbability <= 1 else {
            throw ChannelConfigurationError("erasure probability \(erasureProbability) is outside 0…1")
        }
        self.erasureProbability = erasureProbability
    }

    /// LLRs for `bits` (0/1): ±`certainLLR` (positive for 0), or 0 where erased. Also returns the erasure count.
    public func transmit(bits: [UInt8], using rng: inout SeededGenerator) -> (llrs: [Float], erasures: Int) {
        var erasures = 0
        let llrs = bits.map { bit -> Float in
            if rng.nextDouble() < erasureProbability {
                erasures += 1
                return 0
            }
            return bit == 0 ? Self.certainLLR : -Self.certainLLR
        }
        return (llrs, erasures)
    }
}
