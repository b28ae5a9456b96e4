import Randomness

/// An uncoded BPSK link on AWGN, abstracted to its bit errors: each bit flips independently
/// with Pb = Q(√(2·Eb/N0)), where Eb/N0 = Es/N0 for BPSK (one bit per channel use, no code).
///
/// This is the relay's digital mode before a real physical layer exists: statistically the
/// same bit errors as modulating, adding noise of N0/2 per real dimension and slicing, at a
/// cost of one random draw per error (see `BinarySymmetricChannel`). The modulation library
/// of the physical-layer issue replaces it where soft information or fading is needed.
public struct BPSKBitErrorChannel: Sendable, Hashable {
    /// The setting: Es/N0 in dB per channel use.
    public let esN0DB: Double
    /// The bit flip probability Q(√(2·Es/N0)).
    public let bitErrorProbability: Double
    private let bits: BinarySymmetricChannel

    /// A link at `esN0DB` (Es/N0 in dB, finite).
    public init(esN0DB: Double) throws(ChannelConfigurationError) {
        guard esN0DB.isFinite else {
            throw ChannelConfigurationError("Es/N0 \(esN0DB) dB is not a finite number; give a value in dB such as 6")
        }
        self.esN0DB = esN0DB
        bitErrorProbability = TheoreticalErrorRate.bpskAWGN(ebN0DB: esN0DB)
        bits = try BinarySymmetricChannel(crossoverProbability: bitErrorProbability)
    }

    /// Eb/N0 in dB: equal to Es/N0 for uncoded BPSK (Rc = 1, log2 M = 1).
    public var ebN0DB: Double { ChannelConventions.ebN0DB(esN0DB: esN0DB, codeRate: 1, bitsPerSymbol: 1) }

    /// Flips bits of `bytes` in place; one BPSK channel use per bit.
    @discardableResult
    public func apply(to bytes: inout [UInt8], using rng: inout SeededGenerator) -> BitErrorStatistics {
        bits.apply(to: &bytes, using: &rng)
    }

    /// Flips bits of `bytes` in place; one BPSK channel use per bit.
    public func apply(to bytes: UnsafeMutableBufferPointer<UInt8>, using rng: inout SeededGenerator)
        -> BitErrorStatistics
    {
        bits.apply(to: bytes, using: &rng)
    }
}
