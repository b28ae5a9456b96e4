/// Which channel a hop applied, as logged and written into frame annotations.
public enum ChannelModelKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// No corruption (a direct or pass-through hop).
    case ideal
    /// Real AWGN on analog symbols (`AWGNChannel`).
    case awgn
    /// Uncoded BPSK bit errors at Q(√(2·Es/N0)) (`BPSKBitErrorChannel`).
    case bpskUncoded = "bpsk-uncoded"
    /// Bit flips with a given probability (`BinarySymmetricChannel`).
    case binarySymmetric = "bsc"
    /// The full digital physical layer (`PhysicalLayer`: FEC, modulation, fading, AWGN, decoding).
    case physicalLayer = "phy"
}

/// The figures a relay logs and annotates for one frame crossing a channel. Plain values,
/// `Codable` for JSON logs: undefined or infinite measurements are nil, never NaN or ∞.
public struct ChannelReport: Sendable, Hashable, Codable {
    /// The channel model applied.
    public var model: ChannelModelKind
    /// The SNR convention of `settingDB`: `psnr`, `gesco-table`, `esn0`, or `none`.
    public var convention: String
    /// The setting in dB in its convention's terms (PSNR or Es/N0); nil for `ideal`/`bsc`.
    public var settingDB: Double?
    /// Eb/N0 in dB for digital links (equal to Es/N0 when uncoded BPSK); nil for analog.
    public var ebN0DB: Double?
    /// Signal power over measured noise power, in dB, per real symbol; nil when undefined.
    public var measuredSNRDB: Double?
    /// 1 / measured noise power in dB (peak 1) for analog links; nil otherwise.
    public var measuredPSNRDB: Double?
    /// Noise standard deviation per real symbol for analog links; nil otherwise.
    public var noiseStd: Double?
    /// Real analog symbols carried (0 for digital links).
    public var symbols: Int
    /// Bits that arrived flipped (0 for analog links).
    public var bitErrors: Int
    /// Bits sent over the channel (0 for analog links).
    public var bitsOnAir: Int
    /// Complex channel uses spent.
    public var channelUses: Int
    /// The seed of the generator that drew this frame's noise.
    public var seed: UInt64

    public init(
        model: ChannelModelKind, convention: String, settingDB: Double?, ebN0DB: Double?,
        measuredSNRDB: Double?, measuredPSNRDB: Double?, noiseStd: Double?, symbols: Int,
        bitErrors: Int, bitsOnAir: Int, channelUses: Int, seed: UInt64
    ) {
        self.model = model
        self.convention = convention
        self.settingDB = settingDB
        self.ebN0DB = ebN0DB
        self.measuredSNRDB = measuredSNRDB
        self.measuredPSNRDB = measuredPSNRDB
        self.noiseStd = noiseStd
        self.symbols = symbols
        self.bitErrors = bitErrors
        self.bitsOnAir = bitsOnAir
        self.channelUses = channelUses
        self.seed = seed
    }

    /// The report of an analog hop.
    public init(_ statistics: AWGNStatistics, seed: UInt64) {
        self.init(
            model: .awgn, convention: statistics.convention.name,
            settingDB: statistics.convention.settingDB, ebN0DB: nil,
            measuredSNRDB: statistics.measuredSNRDB, measuredPSNRDB: statistics.measuredPSNRDB,
            noiseStd: statistics.noiseStd, symbols: statistics.symbolCount,
            bitErrors: 0, bitsOnAir: 0, channelUses: statistics.channelUses, seed: seed)
    }

    /// The report of an uncoded BPSK hop.
    public init(_ statistics: BitErrorStatistics, channel: BPSKBitErrorChannel, seed: UInt64) {
        self.init(
            model: .bpskUncoded, convention: "esn0", settingDB: channel.esN0DB, ebN0DB: channel.ebN0DB,
            measuredSNRDB: nil, measuredPSNRDB: nil, noiseStd: nil, symbols: 0,
            bitErrors: statistics.bitErrors, bitsOnAir: statistics.bitsOnAir,
            channelUses: statistics.channelUses, seed: seed)
    }

    /// The report of a binary symmetric hop.
    public init(_ statistics: BitErrorStatistics, seed: UInt64) {
        self.init(
            model: .binarySymmetric, convention: "none", settingDB: nil, ebN0DB: nil,
            measuredSNRDB: nil, measuredPSNRDB: nil, noiseStd: nil, symbols: 0,
            bitErrors: statistics.bitErrors, bitsOnAir: statistics.bitsOnAir,
            channelUses: statistics.channelUses, seed: seed)
    }

    /// The report of a hop that changed nothing.
    public static func ideal(symbols: Int = 0, bitsOnAir: Int = 0, channelUses: Int = 0) -> ChannelReport {
        ChannelReport(
            model: .ideal, convention: "none", settingDB: nil, ebN0DB: nil, measuredSNRDB: nil,
            measuredPSNRDB: nil, noiseStd: nil, symbols: symbols, bitErrors: 0, bitsOnAir: bitsOnAir,
            channelUses: channelUses, seed: 0)
    }

    /// Measured bit error rate (0 when no bits were sent).
    public var bitErrorRate: Double { bitsOnAir > 0 ? Double(bitErrors) / Double(bitsOnAir) : 0 }
}
