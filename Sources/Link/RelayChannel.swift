import ChannelModels
import Dispatch
import Randomness
import SemanticWire

/// The channel a relay applies to every MAP_FRAME payload, with the conventions of protocol v1 §5.2.1.
///
/// - Analog frames: AWGN on the decoded symbols, either GESCO's PSNR convention (peak 1,
///   σ = 10^(−PSNR/20)) or Es/N0 (σ² = P̄·10^(−Es/N0/10)), stored back in the frame's own sample format.
/// - Digital frames, with a `RelayRadio` (what `semcom relay` always passes): the payload bits cross the whole
///   physical layer (CRC-32 per block → FEC → modulation → fading → AWGN → equaliser → LLRs → decoder) and
///   are forwarded with whatever residual errors remain; without one, the bit-level abstraction: independent
///   flips at the uncoded BPSK rate Q(√(2·Es/N0)). Either way the payload CRC stays as the sender wrote it
///   (the receiver detects the damage and NACKs).
/// - Analog frames meet Rayleigh block fading too when the radio has it (`AnalogFadingChannel`).
///
/// Noise for a frame comes from `SeededGenerator(seed: hop seed, stream: frame id)`, where the hop seed
/// is the relay's seed for a first transmission and a mix of it with the attempt number for a
/// retransmission (a retransmission must not meet the very same noise). The hop seed goes in the
/// annotation, so any frame's noise can be drawn again.
public struct RelayChannel: Sendable {
    /// The relay's setting.
    public enum Setting: Sendable, Equatable, CustomStringConvertible {
        /// `--psnr DB`: GESCO's peak SNR for analog frames.
        case psnr(dB: Double)
        /// `--snr DB`: Es/N0 per complex channel use.
        case esN0(dB: Double)

        public var dB: Double {
            switch self {
            case .psnr(let dB), .esN0(let dB): dB
            }
        }

        public var description: String {
            switch self {
            case .psnr(let dB): "PSNR \(dB) dB (GESCO, peak 1)"
            case .esN0(let dB): "Es/N0 \(dB) dB"
            }
        }
    }

    /// What one application did, for the log line.
    public struct Outcome: Sendable {
        /// The frame as forwarded: noisy payload, hop annotation appended.
        public var frame: MapFrame
        /// The annotation appended.
        public var hop: HopAnnotation
        /// The channel's figures.
        public var report: ChannelReport
        /// Analog symbols carried (0 for digital frames).
        public var symbols: Int
        /// Whether the frame's encoding differs from the relay's stated `--mode`.
        public var modeMismatch: Bool
        /// The physical layer's figures for a digital frame (nil for analog frames and the bit-level abstraction).
        public var link: LinkStatistics?
        /// The modulation and code used on a digital frame (nil otherwise).
        public var physicalLayer: PhysicalLayerConfiguration?
        /// What this transmission put on the channel (`ChannelLedger`); the hop annotation carries its payload
        /// channel uses and its bits on air (protocol §5.2.1), and `ChannelLedger(hop:…)` rebuilds it.
        public var ledger: ChannelLedger
    }

    public let setting: Setting
    /// Base seed of the relay's noise.
    public let seed: UInt64
    /// The encoding the relay says it expects (`--mode`); frames of the other one are still handled by
    /// their own encoding, and the mismatch is reported.
    public let expectedMode: PayloadEncoding?
    /// The radio (physical layer and fading); nil: digital frames get the bit-level BPSK abstraction.
    public let radio: RelayRadio?
    private let bits: BPSKBitErrorChannel
    private let analog: AWGNChannel

    public init(setting: Setting, seed: UInt64, expectedMode: PayloadEncoding? = nil, radio: RelayRadio? = nil) throws {
        self.radio = radio
        guard setting.dB.isFinite else { throw RelayChannelError.nonFiniteSetting(setting.dB) }
        self.setting = setting
        self.seed = seed
        self.expectedMode = expectedMode
        switch setting {
        case .psnr(let dB): analog = .psnr(dB)
        case .esN0(let dB): analog = .esN0(dB)
        }
        // A digital frame always meets bit errors at Es/N0; under --psnr the same number is used as Es/N0
        // (the relay's start-up line states the setting), since a peak SNR has no meaning for bits.
        bits = try BPSKBitErrorChannel(esN0DB: setting.dB)
    }

    /// The hop seed for transmission `attempt` (0 = first).
    public func hopSeed(attempt: UInt16) -> UInt64 { Self.hopSeed(seed, attempt: Int(attempt)) }

    /// The hop seed of a link with base `seed` for transmission `attempt` (0 = first): a retransmission
    /// must not meet the very same noise. `semcom eval`'s classical mode draws its noise the same way.
    public static func hopSeed(_ seed: UInt64, attempt: Int) -> UInt64 {
        attempt == 0 ? seed : SeededGenerator.mix(seed, UInt64(attempt))
    }

    /// Applies the channel to `frame` and appends the hop annotation.
    /// - Throws: a `WireError` when an analog payload cannot be decoded here (answer NACK with its
    ///   `nackReason`), or `.invalidField` when the frame already carries 16 hops.
    public func apply(to frame: MapFrame) throws -> Outcome {
        guard frame.hops.count < WireProtocol.maxHops else {
            throw WireError.invalidField(
                "frame \(frame.frameID) already crossed \(frame.hops.count) relays; the limit is \(WireProtocol.maxHops)"
            )
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let hopSeed = hopSeed(attempt: frame.attempt)
        var rng = SeededGenerator(seed: hopSeed, stream: frame.frameID)
        var outcome: Outcome
        switch frame.encoding {
        case .analog: outcome = try analog(frame, hopSeed: hopSeed, using: &rng)
        case .layered(let layout): outcome = try layered(frame, layout: layout, hopSeed: hopSeed, using: &rng)
        case .digital, .context:
            // Either coding's bytes cross the channel alike; the receiver's payload CRC catches what it broke.
            if let radio {
                outcome = physicalLayer(frame, radio: radio, hopSeed: hopSeed, using: &rng)
            } else {
                outcome = bitErrors(frame, hopSeed: hopSeed, using: &rng)
            }
        }
        let micros = (DispatchTime.now().uptimeNanoseconds - start) / 1000
        outcome.hop.processingMicroseconds = UInt32(min(micros, UInt64(UInt32.max)))
        outcome.frame.hops.append(outcome.hop)
        outcome.modeMismatch = expectedMode.map { $0 != frame.encoding.kind } ?? false
        return outcome
    }

    private var isPSNR: Bool { if case .psnr = setting { true } else { false } }

    /// Analog frames: AWGN (or Rayleigh block fading, equalised, when the radio has it) on the symbols,
    /// stored back in the frame's sample format.
    private func analog(_ frame: MapFrame, hopSeed: UInt64, using rng: inout SeededGenerator) throws -> Outcome {
        var values = try frame.decodeAnalogSymbols().values
        let symbols = values.count
        let pixels = frame.width * frame.height
        if let radio, radio.channel.fading != .none {
            let fading = AnalogFadingChannel(noise: analog, radio: radio.channel)
            let statistics = fading.apply(to: &values, using: &rng)
            let ledger = ChannelLedger.analog(
                channelUses: statistics.channelUses, headerBits: frame.headerBits, pixels: pixels)
            let report = ChannelReport(
                model: .awgn, convention: analog.convention.name, settingDB: setting.dB, ebN0DB: nil,
                measuredSNRDB: statistics.effectiveSNRDB, measuredPSNRDB: nil, noiseStd: statistics.noiseStd,
                symbols: symbols, bitErrors: 0, bitsOnAir: 0, channelUses: statistics.channelUses, seed: hopSeed)
            let hop = HopAnnotation(
                channelModel: isPSNR ? .rayleighPSNR : .rayleighSNR, mode: .analog, snrDB: Float(setting.dB),
                measuredSNRDB: statistics.effectiveSNRDB.map(Float.init), seed: hopSeed,
                bitsOnAir: UInt64(ledger.bitsOnAir), channelUses: UInt64(ledger.payloadChannelUses),
                fadingBlockLength: UInt32(radio.channel.fading.coherence))
            return Outcome(
                frame: try frame.replacingAnalogSymbols(values), hop: hop, report: report, symbols: symbols,
                modeMismatch: false, link: nil, physicalLayer: nil, ledger: ledger)
        }
        let statistics = analog.apply(to: &values, using: &rng)
        let ledger = ChannelLedger.analog(
            channelUses: statistics.channelUses, headerBits: frame.headerBits, pixels: pixels)
        let measured = isPSNR ? statistics.measuredPSNRDB : statistics.measuredSNRDB
        let hop = HopAnnotation(
            channelModel: isPSNR ? .awgnPSNR : .awgnSNR, mode: .analog, snrDB: Float(setting.dB),
            measuredSNRDB: measured.map(Float.init), seed: hopSeed, bitsOnAir: UInt64(ledger.bitsOnAir),
            channelUses: UInt64(ledger.payloadChannelUses))
        return Outcome(
            frame: try frame.replacingAnalogSymbols(values), hop: hop, report: ChannelReport(statistics, seed: hopSeed),
            symbols: symbols, modeMismatch: false, link: nil, physicalLayer: nil, ledger: ledger)
    }

    /// Layered frames (protocol §6.4): the map part and the metadata cross the physical layer the frame names as
    /// one payload on the radio's channel, forwarded with their residual errors and the sender's CRCs (a block
    /// error breaks only the part or parts it holds); the symbols meet the analog channel at Es/N0 whatever the
    /// setting's convention (SoftCast's symbols have unit average power per complex use; a peak has no
    /// meaning for DCT coefficients), with the radio's fading when it has one.
    private func layered(
        _ frame: MapFrame, layout: LayeredLayout, hopSeed: UInt64, using rng: inout SeededGenerator
    ) throws -> Outcome {
        let parts = try frame.layeredParts()
        let radio = self.radio ?? RelayRadio()
        let configuration = try layout.mcs.configuration(on: radio)
        let physical = PhysicalLayer(configuration)
        // One transmission of map then metadata (no block padded twice); each part keeps the sender's CRC, so the
        // receiver tells which one a block error broke.
        let (received, digital) = physical.transmit(parts.map + parts.metadata, esN0DB: setting.dB, using: &rng)
        let map = Array(received[0..<parts.map.count]), metadata = Array(received[parts.map.count...])
        var symbols = parts.symbols
        let noise = AWGNChannel.esN0(setting.dB)
        var analogUses = 0
        var measured: Double?
        if !symbols.isEmpty {
            if radio.channel.fading != .none {
                let statistics = AnalogFadingChannel(noise: noise, radio: radio.channel).apply(
                    to: &symbols, using: &rng)
                (analogUses, measured) = (statistics.channelUses, statistics.effectiveSNRDB)
            } else {
                let statistics = noise.apply(to: &symbols, using: &rng)
                (analogUses, measured) = (statistics.channelUses, statistics.measuredSNRDB)
            }
        }
        var ledger = ChannelLedger.digital(
            payloadBytes: parts.map.count + parts.metadata.count, statistics: digital, configuration: configuration,
            headerBits: frame.headerBits, pixels: frame.width * frame.height)
        ledger.payloadChannelUses += analogUses
        let (k, n) = configuration.code.fraction
        let coded = configuration.code != .none
        let report = ChannelReport(
            model: .physicalLayer, convention: "esn0", settingDB: setting.dB,
            ebN0DB: configuration.ebN0DB(esN0DB: setting.dB), measuredSNRDB: measured, measuredPSNRDB: nil,
            noiseStd: nil, symbols: symbols.count, bitErrors: digital.postDecodingBitErrors,
            bitsOnAir: ledger.bitsOnAir, channelUses: ledger.payloadChannelUses, seed: hopSeed)
        let hop = HopAnnotation(
            channelModel: configuration.channel.fading == .none ? .phyAWGN : .phyRayleigh, mode: .layered,
            modulation: ModulationID(configuration.modulation), code: ChannelCodeID(configuration.code),
            codeRate: coded ? (UInt16(k), UInt16(n)) : (0, 0), snrDB: Float(setting.dB),
            measuredSNRDB: measured.map(Float.init), seed: hopSeed, bitErrors: UInt64(digital.postDecodingBitErrors),
            bitsOnAir: UInt64(ledger.bitsOnAir), channelUses: UInt64(ledger.payloadChannelUses),
            fadingBlockLength: UInt32(configuration.channel.fading.coherence))
        return Outcome(
            frame: try frame.replacingLayeredParts(map: map, metadata: metadata, symbols: symbols), hop: hop,
            report: report, symbols: symbols.count, modeMismatch: false, link: digital, physicalLayer: configuration,
            ledger: ledger)
    }

    /// Digital frames with a radio: the payload bytes cross the whole physical layer; the header crosses
    /// the protected control channel at the payload's spectral efficiency.
    private func physicalLayer(
        _ frame: MapFrame, radio: RelayRadio, hopSeed: UInt64, using rng: inout SeededGenerator
    ) -> Outcome {
        let configuration = radio.configuration(esN0DB: setting.dB)
        let (bytes, statistics) = PhysicalLayer(configuration).transmit(
            frame.payload.bytes, esN0DB: setting.dB, using: &rng)
        var out = frame
        out.payload.bytes = bytes
        let headerBits = frame.headerBits
        let ledger = ChannelLedger.digital(
            payloadBytes: frame.payload.bytes.count, statistics: statistics, configuration: configuration,
            headerBits: headerBits, pixels: frame.width * frame.height)
        let (k, n) = configuration.code.fraction
        let coded = configuration.code != .none
        let report = ChannelReport(
            model: .physicalLayer, convention: "esn0", settingDB: setting.dB,
            ebN0DB: configuration.ebN0DB(esN0DB: setting.dB), measuredSNRDB: nil, measuredPSNRDB: nil,
            noiseStd: nil, symbols: 0, bitErrors: statistics.postDecodingBitErrors,
            bitsOnAir: ledger.bitsOnAir, channelUses: ledger.payloadChannelUses, seed: hopSeed)
        let hop = HopAnnotation(
            channelModel: configuration.channel.fading == .none ? .phyAWGN : .phyRayleigh, mode: .digital,
            modulation: ModulationID(configuration.modulation), code: ChannelCodeID(configuration.code),
            codeRate: coded ? (UInt16(k), UInt16(n)) : (0, 0), snrDB: Float(setting.dB), seed: hopSeed,
            bitErrors: UInt64(statistics.postDecodingBitErrors),
            bitsOnAir: UInt64(ledger.bitsOnAir), channelUses: UInt64(ledger.payloadChannelUses),
            fadingBlockLength: UInt32(configuration.channel.fading.coherence))
        return Outcome(
            frame: out, hop: hop, report: report, symbols: 0, modeMismatch: false, link: statistics,
            physicalLayer: configuration, ledger: ledger)
    }

    /// Digital frames without a radio: independent bit flips at the uncoded BPSK rate.
    private func bitErrors(_ frame: MapFrame, hopSeed: UInt64, using rng: inout SeededGenerator) -> Outcome {
        var out = frame
        let statistics = bits.apply(to: &out.payload.bytes, using: &rng)
        let headerBits = frame.headerBits
        // Uncoded BPSK: one bit per use for payload and header alike.
        let ledger = ChannelLedger(
            payloadChannelUses: statistics.channelUses,
            headerChannelUses: ChannelLedger.headerChannelUses(headerBits: headerBits, spectralEfficiency: 1),
            payloadBits: 8 * frame.payload.bytes.count, bitsOnAir: statistics.bitsOnAir + headerBits,
            pixels: frame.width * frame.height, mcs: "bpsk none")
        let hop = HopAnnotation(
            channelModel: .bscBPSK, mode: .digital, modulation: .bpsk, snrDB: Float(setting.dB),
            seed: hopSeed, bitErrors: UInt64(statistics.bitErrors), bitsOnAir: UInt64(ledger.bitsOnAir),
            channelUses: UInt64(ledger.payloadChannelUses))
        return Outcome(
            frame: out, hop: hop, report: ChannelReport(statistics, channel: bits, seed: hopSeed), symbols: 0,
            modeMismatch: false, link: nil, physicalLayer: nil, ledger: ledger)
    }
}

/// Why a `RelayChannel` cannot be built.
public enum RelayChannelError: Error, Equatable, CustomStringConvertible {
    /// The SNR setting (dB) is NaN or infinite.
    case nonFiniteSetting(Double)

    public var description: String {
        switch self {
        case .nonFiniteSetting(let dB): "channel setting \(dB) dB is not a finite number; give a value such as 10"
        }
    }
}

extension MapFrame {
    /// Bits of everything but the payload (envelope, control part, hop annotations): what a relay counts
    /// on its protected control channel. One definition for the relay, `semcom eval` and the classical mode.
    public var headerBits: Int {
        // A frame read from the wire (or built by a sender) encodes; 0 only for one that breaks the rules.
        8 * ((try? headerByteCount()) ?? 0)
    }
}
