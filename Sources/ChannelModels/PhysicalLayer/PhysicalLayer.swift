import Checksums
import Randomness

/// A digital physical layer: modulation, channel code, demapping and the radio channel it crosses.
public struct PhysicalLayerConfiguration: Sendable, Hashable {
    public var modulation: Modulation
    public var code: ChannelCode
    public var channel: RadioChannel
    /// How LLRs are computed (exact log-sum-exp by default; max-log is faster on 64-QAM).
    public var demapping: SoftDemapper.Method
    /// LDPC iterations at most (early stopping usually ends far sooner).
    public var ldpcIterations: Int

    public init(
        modulation: Modulation = .bpsk, code: ChannelCode = .none, channel: RadioChannel = RadioChannel(),
        demapping: SoftDemapper.Method = .exact, ldpcIterations: Int = 20
    ) {
        self.modulation = modulation
        self.code = code
        self.channel = channel
        self.demapping = demapping
        self.ldpcIterations = ldpcIterations
    }

    /// Information bits per channel use of the modulation and code (Rc·log2 M), overheads not counted.
    public var spectralEfficiency: Double {
        ChannelConventions.spectralEfficiency(codeRate: code.rate, bitsPerSymbol: modulation.bitsPerSymbol)
    }

    /// Eb/N0 in dB at Es/N0 `esN0DB`, by Rc and log2 M (docs/DESIGN.md convention).
    public func ebN0DB(esN0DB: Double) -> Double {
        ChannelConventions.ebN0DB(esN0DB: esN0DB, codeRate: code.rate, bitsPerSymbol: modulation.bitsPerSymbol)
    }

    /// Es/N0 in dB at Eb/N0 `ebN0DB`.
    public func esN0DB(ebN0DB: Double) -> Double {
        ChannelConventions.esN0DB(ebN0DB: ebN0DB, codeRate: code.rate, bitsPerSymbol: modulation.bitsPerSymbol)
    }
}

/// What one frame's trip through the physical layer cost and suffered.
public struct LinkStatistics: Sendable, Hashable, Codable {
    /// Payload bits offered.
    public var payloadBits = 0
    /// Coded bits put on the air (CRCs, tails, padding and modulation fill included; pilots not).
    public var bitsOnAir = 0
    /// Complex channel uses, pilots included.
    public var channelUses = 0
    /// Of which pilot symbols.
    public var pilotUses = 0
    /// Coded bits whose hard decision (sign of the LLR) was wrong, before decoding.
    public var preDecodingBitErrors = 0
    /// Payload bits wrong after decoding (the residual errors delivered).
    public var postDecodingBitErrors = 0
    /// Code blocks sent.
    public var blocks = 0
    /// Code blocks whose CRC-32 failed after decoding.
    public var blockErrors = 0
    /// Code blocks delivered with wrong bits although their CRC passed (undetected errors; rare).
    public var undetectedBlockErrors = 0
    /// LDPC iterations summed over the codewords (0 for other codes).
    public var decoderIterations = 0
    /// Fading blocks drawn.
    public var fadingBlocks = 0

    public init() {}

    /// Adds the figures of another frame.
    public mutating func add(_ other: LinkStatistics) {
        payloadBits += other.payloadBits
        bitsOnAir += other.bitsOnAir
        channelUses += other.channelUses
        pilotUses += other.pilotUses
        preDecodingBitErrors += other.preDecodingBitErrors
        postDecodingBitErrors += other.postDecodingBitErrors
        blocks += other.blocks
        blockErrors += other.blockErrors
        undetectedBlockErrors += other.undetectedBlockErrors
        decoderIterations += other.decoderIterations
        fadingBlocks += other.fadingBlocks
    }

    /// Whether any block of the frame failed its CRC.
    public var frameFailed: Bool { blockErrors > 0 }
}

/// A digital link: bytes → per-block CRC-32 → encode → modulate → (fading) → AWGN → equalise → demap → decode
/// → bytes, with whatever residual errors remain (a failed block is delivered as decoded, not dropped:
/// the caller's own integrity checks decide what to do with it).
public struct PhysicalLayer: Sendable {
    public let configuration: PhysicalLayerConfiguration
    private let ldpc: LDPCDecoder?
    private let convolutional: ConvolutionalCode?

    public init(_ configuration: PhysicalLayerConfiguration) {
        self.configuration = configuration
        switch configuration.code {
        case .none:
            ldpc = nil
            convolutional = nil
        case .convolutional(let rate):
            ldpc = nil
            convolutional = ConvolutionalCode(rate: rate)
        case .ldpc(let n, let rate):
            // Lengths are validated by `ChannelCode(parsing:)`; the enum cannot hold another.
            ldpc = LDPCDecoder(code: LDPCCode(n: n, rate: rate)!, maxIterations: configuration.ldpcIterations)
            convolutional = nil
        }
    }

    /// Coded bits (before modulation fill) of one block with `infoBits` information bits.
    private func codedBits(infoBits: Int) -> Int {
        if let convolutional { return convolutional.codedLength(infoBits: infoBits) }
        if let ldpc { return ldpc.code.n }
        return infoBits
    }

    /// Bits on the air and channel uses a payload of `payloadBytes` costs (without sending it).
    public func cost(payloadBytes: Int) -> (bitsOnAir: Int, channelUses: Int) {
        let segmentation = Segmentation(payloadBytes: payloadBytes, code: configuration.code)
        let m = configuration.modulation.bitsPerSymbol
        var bits = 0, uses = 0
        for burst in Self.bursts(of: segmentation) {
            let coded = burst.reduce(0) { $0 + codedBits(infoBits: $1.infoBits) }
            let symbols = (coded + m - 1) / m
            bits += symbols * m
            uses += configuration.channel.channelUses(dataSymbols: symbols)
        }
        return (bits, uses)
    }

    /// Payload bytes sent as one burst through the chain (blocks are never split): bounds what one
    /// transmission holds in memory — bits, symbols, channel outputs and LLRs take ≈ 350 bytes per payload
    /// byte — to about 23 MB, whatever the frame size (a 64 MiB payload in one piece needed ≈ 22 GB).
    /// Each burst meets the channel afresh (its own fading blocks and pilots); frames up to this size are
    /// one burst, as before.
    public static let burstBytes = 64 << 10

    /// The blocks of `segmentation` in bursts of at most `burstBytes` payload bytes (at least one block each).
    static func bursts(of segmentation: Segmentation) -> [ArraySlice<Segmentation.Block>] {
        var bursts: [ArraySlice<Segmentation.Block>] = []
        var start = 0, bytes = 0
        for (index, block) in segmentation.blocks.enumerated() {
            if index > start && bytes + block.bytes.count > burstBytes {
                bursts.append(segmentation.blocks[start..<index])
                start = index
                bytes = 0
            }
            bytes += block.bytes.count
        }
        if start < segmentation.blocks.count { bursts.append(segmentation.blocks[start...]) }
        return bursts
    }

    /// Sends `payload` at Es/N0 `esN0DB` and returns the bytes as received, and the statistics.
    public func transmit(
        _ payload: [UInt8], esN0DB: Double, using rng: inout SeededGenerator
    ) -> (bytes: [UInt8], statistics: LinkStatistics) {
        let segmentation = Segmentation(payloadBytes: payload.count, code: configuration.code)
        var received = [UInt8](repeating: 0, count: payload.count)
        var statistics = LinkStatistics()
        for burst in Self.bursts(of: segmentation) {
            statistics.add(transmit(burst, of: payload, esN0DB: esN0DB, using: &rng, into: &received))
        }
        return (received, statistics)
    }

    /// One burst: its blocks' bytes of `payload` through the chain, written at their place in `received`.
    private func transmit(
        _ blocks: ArraySlice<Segmentation.Block>, of payload: [UInt8], esN0DB: Double, using rng: inout SeededGenerator,
        into received: inout [UInt8]
    ) -> LinkStatistics {
        let modulation = configuration.modulation
        // Transmitter: per block, payload bits + CRC-32 (+ padding) → encoder.
        var sent: [UInt8] = []
        var blockCoded: [Int] = []
        for block in blocks {
            let bytes = Array(payload[block.bytes])
            var info = BitPacking.unpack(bytes)
            info += BitPacking.bits(of: CRC32.checksum(bytes))
            info += [UInt8](repeating: 0, count: block.paddingBits)
            let coded: [UInt8]
            if let convolutional {
                coded = convolutional.encode(info)
            } else if let ldpc {
                coded = ldpc.code.encode(info)
            } else {
                coded = info
            }
            blockCoded.append(coded.count)
            sent += coded
        }
        let codedCount = sent.count
        let m = modulation.bitsPerSymbol
        let fill = (m - codedCount % m) % m
        sent += [UInt8](repeating: 0, count: fill)

        // Channel.
        let symbols = modulation.modulate(sent)
        let output = configuration.channel.transmit(symbols, esN0DB: esN0DB, using: &rng)
        let llrs = SoftDemapper.llrs(output.equalized, modulation: modulation, method: configuration.demapping)

        var statistics = LinkStatistics()
        statistics.payloadBits = 8 * blocks.reduce(0) { $0 + $1.bytes.count }
        statistics.bitsOnAir = sent.count
        statistics.channelUses = output.channelUses
        statistics.pilotUses = output.pilotUses
        statistics.fadingBlocks = output.fadingBlocks
        statistics.blocks = blocks.count
        for i in 0..<codedCount where (llrs[i] < 0 ? 1 : 0) != sent[i] { statistics.preDecodingBitErrors += 1 }

        // Receiver: per block, decode → check CRC → bytes.
        var offset = 0
        for (index, block) in blocks.enumerated() {
            let slice = Array(llrs[offset..<(offset + blockCoded[index])])
            offset += blockCoded[index]
            let info: [UInt8]
            if let convolutional {
                info = convolutional.decode(slice, infoBits: block.infoBits)
            } else if let ldpc {
                let result = ldpc.decode(slice)
                statistics.decoderIterations += result.iterations
                info = Array(result.codeword[0..<block.infoBits])
            } else {
                info = SoftDemapper.hardDecisions(slice)
            }
            let byteCount = block.bytes.count
            let bytes = BitPacking.pack(Array(info[0..<(8 * byteCount)]))
            let crc = BitPacking.pack(Array(info[(8 * byteCount)..<(8 * byteCount + 32)]))
            let crcValue = crc.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let crcOK = CRC32.checksum(bytes) == crcValue
            var wrong = 0
            for (j, byte) in bytes.enumerated() {
                received[block.bytes.lowerBound + j] = byte
                wrong += (byte ^ payload[block.bytes.lowerBound + j]).nonzeroBitCount
            }
            statistics.postDecodingBitErrors += wrong
            if !crcOK {
                statistics.blockErrors += 1
            } else if wrong > 0 {
                statistics.undetectedBlockErrors += 1
            }
        }
        return statistics
    }
}
