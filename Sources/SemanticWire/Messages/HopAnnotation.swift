import NIOCore

/// What one hop (a relay) did to a MAP_FRAME: appended by each relay, in path order. 56 bytes on the wire.
public struct HopAnnotation: Sendable, Equatable {
    /// The channel the hop applied.
    public var channelModel: ChannelModelID
    /// How the hop treated the payload (analog symbols or digital bits).
    public var mode: PayloadEncoding
    /// Modulation of a digital PHY hop (`.none` otherwise).
    public var modulation: ModulationID
    /// Channel code of a digital PHY hop (`.uncoded` otherwise).
    public var code: ChannelCodeID
    /// Code rate k/n as (k, n); (0, 0) when uncoded.
    public var codeRate: (numerator: UInt16, denominator: UInt16)
    /// The configured SNR in dB, in the convention of `channelModel` (PSNR, Es/N0 or Eb/N0); `nil` when none (ideal).
    public var snrDB: Float?
    /// The SNR measured on this frame in dB, same convention; `nil` when not measured.
    public var measuredSNRDB: Float?
    /// The seed of the hop's noise generator for this frame, so the draw can be reproduced.
    public var seed: UInt64
    /// Payload bits that differ after the hop (digital), or 0.
    public var bitErrors: UInt64
    /// Bits the hop put on the air (payload and header), or 0 for analog hops.
    public var bitsOnAir: UInt64
    /// Complex channel uses the hop spent on this frame.
    public var channelUses: UInt64
    /// Coherence block of Rayleigh block fading in complex channel uses; 0 without fading.
    public var fadingBlockLength: UInt32
    /// Time the hop spent on the frame (channel + re-encoding), in microseconds.
    public var processingMicroseconds: UInt32

    public init(
        channelModel: ChannelModelID, mode: PayloadEncoding, modulation: ModulationID = .none,
        code: ChannelCodeID = .uncoded, codeRate: (numerator: UInt16, denominator: UInt16) = (0, 0),
        snrDB: Float?, measuredSNRDB: Float? = nil, seed: UInt64 = 0, bitErrors: UInt64 = 0, bitsOnAir: UInt64 = 0,
        channelUses: UInt64 = 0, fadingBlockLength: UInt32 = 0, processingMicroseconds: UInt32 = 0
    ) {
        self.channelModel = channelModel
        self.mode = mode
        self.modulation = modulation
        self.code = code
        self.codeRate = codeRate
        self.snrDB = snrDB
        self.measuredSNRDB = measuredSNRDB
        self.seed = seed
        self.bitErrors = bitErrors
        self.bitsOnAir = bitsOnAir
        self.channelUses = channelUses
        self.fadingBlockLength = fadingBlockLength
        self.processingMicroseconds = processingMicroseconds
    }

    public static func == (lhs: HopAnnotation, rhs: HopAnnotation) -> Bool {
        lhs.channelModel == rhs.channelModel && lhs.mode == rhs.mode && lhs.modulation == rhs.modulation
            && lhs.code == rhs.code && lhs.codeRate == rhs.codeRate && lhs.snrDB == rhs.snrDB
            && lhs.measuredSNRDB == rhs.measuredSNRDB && lhs.seed == rhs.seed && lhs.bitErrors == rhs.bitErrors
            && lhs.bitsOnAir == rhs.bitsOnAir && lhs.channelUses == rhs.channelUses
            && lhs.fadingBlockLength == rhs.fadingBlockLength
            && lhs.processingMicroseconds == rhs.processingMicroseconds
    }

    func validate(index: Int) throws {
        let (k, n) = codeRate
        guard (k == 0 && n == 0) || (k > 0 && k <= n) else {
            throw WireError.invalidField("MAP_FRAME hop \(index) code rate \(k)/\(n) must be 0/0 or 0 < k ≤ n")
        }
        for (name, value) in [("snr", snrDB), ("measured snr", measuredSNRDB)] {
            if let value, !value.isFinite {
                throw WireError.invalidField("MAP_FRAME hop \(index) \(name) must be finite or NaN (not set)")
            }
        }
    }

    func write(into buffer: inout ByteBuffer) {
        buffer.writeInteger(channelModel.rawValue)
        buffer.writeInteger(mode.rawValue)
        buffer.writeInteger(modulation.rawValue)
        buffer.writeInteger(code.rawValue)
        buffer.writeInteger(codeRate.numerator, endianness: .big)
        buffer.writeInteger(codeRate.denominator, endianness: .big)
        buffer.writeOptionalFloat(snrDB)
        buffer.writeOptionalFloat(measuredSNRDB)
        buffer.writeInteger(seed, endianness: .big)
        buffer.writeInteger(bitErrors, endianness: .big)
        buffer.writeInteger(bitsOnAir, endianness: .big)
        buffer.writeInteger(channelUses, endianness: .big)
        buffer.writeInteger(fadingBlockLength, endianness: .big)
        buffer.writeInteger(processingMicroseconds, endianness: .big)
    }

    static func read(from reader: inout BodyReader, index: Int) throws -> HopAnnotation {
        let field = { (name: String) in "hop \(index) \(name)" }
        let model = ChannelModelID(rawValue: try reader.integer(field("channel model")))
        let modeRaw: UInt8 = try reader.integer(field("mode"))
        guard let mode = PayloadEncoding(rawValue: modeRaw) else {
            throw WireError.invalidField(
                "MAP_FRAME hop \(index) mode \(modeRaw) is not 1 (digital), 2 (analog) or 3 (layered)")
        }
        let hop = HopAnnotation(
            channelModel: model,
            mode: mode,
            modulation: ModulationID(rawValue: try reader.integer(field("modulation"))),
            code: ChannelCodeID(rawValue: try reader.integer(field("code"))),
            codeRate: (
                try reader.integer(field("code rate numerator")), try reader.integer(field("code rate denominator"))
            ),
            snrDB: try reader.optionalFloat(field("snr")),
            measuredSNRDB: try reader.optionalFloat(field("measured snr")),
            seed: try reader.integer(field("seed")),
            bitErrors: try reader.integer(field("bit errors")),
            bitsOnAir: try reader.integer(field("bits on air")),
            channelUses: try reader.integer(field("channel uses")),
            fadingBlockLength: try reader.integer(field("fading block length")),
            processingMicroseconds: try reader.integer(field("processing time")))
        try hop.validate(index: index)
        return hop
    }
}
