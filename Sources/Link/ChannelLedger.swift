import ChannelModels
import SemanticWire

/// What one image put on the channel: the one account every scheme is charged by — the relay's hop
/// annotation and log, `semcom eval`'s results and budget fitting, and the dashboard (docs/budget.md).
///
/// Conventions (the JSCC literature's, DeepJSCC to SwinJSCC):
/// - a **channel use** is one complex symbol; an analog scheme puts two real values on each;
/// - the **bandwidth ratio** ρ = payload channel uses ÷ (H·W·3), the source's real values;
/// - the **budget** applies to the payload only; the frame header (ids, sizes, present classes, CRCs)
///   travels on the protected control channel and is reported apart (`headerChannelUses`);
/// - pilots are payload channel uses (they are spent on the image); retransmissions add their uses.
public struct ChannelLedger: Sendable, Equatable, Codable {
    /// Complex channel uses of the payload over every attempt, pilots included.
    public var payloadChannelUses: Int
    /// Complex channel uses of the frame header on the control channel over every attempt.
    public var headerChannelUses: Int
    /// Source bits carried by a digital payload per attempt (its bytes × 8, before channel coding); 0 for
    /// analog payloads, which carry real values, not bits.
    public var payloadBits: Int
    /// Coded bits put on the air over every attempt (digital: payload after CRC, code and modulation fill,
    /// plus the header bits; analog: the header bits only).
    public var bitsOnAir: Int
    /// Pixels of the image (H·W) the payload describes.
    public var pixels: Int
    /// `modulation code` of a digital payload (e.g. `qpsk ldpc:1944:1/2`); nil for analog payloads.
    public var mcs: String?
    /// Transmissions after the first.
    public var retransmissions: Int

    public init(
        payloadChannelUses: Int, headerChannelUses: Int, payloadBits: Int, bitsOnAir: Int, pixels: Int, mcs: String?,
        retransmissions: Int = 0
    ) {
        self.payloadChannelUses = payloadChannelUses
        self.headerChannelUses = headerChannelUses
        self.payloadBits = payloadBits
        self.bitsOnAir = bitsOnAir
        self.pixels = pixels
        self.mcs = mcs
        self.retransmissions = retransmissions
    }

    /// Real source values of an image of `pixels` pixels: n = H·W·3.
    public static func sourceValues(pixels: Int) -> Int { 3 * pixels }

    /// Complex channel uses a budget ρ allows for an image of `pixels` pixels: k = ⌊ρ·H·W·3⌋.
    public static func budget(rho: Double, pixels: Int) -> Int {
        Int((rho * Double(sourceValues(pixels: pixels))).rounded(.down))
    }

    /// Channel uses of `headerBits` header bits on the control channel: at the payload's spectral efficiency
    /// (Rc·log2 M information bits per use) for a digital frame; for an analog frame, which has no code, at
    /// one bit per use (BPSK).
    public static func headerChannelUses(headerBits: Int, spectralEfficiency: Double?) -> Int {
        guard let efficiency = spectralEfficiency, efficiency > 0 else { return headerBits }
        return Int((Double(headerBits) / efficiency).rounded(.up))
    }

    /// One digital transmission of `payloadBytes` bytes across a physical layer of `configuration`, with
    /// `statistics` as it reported them.
    public static func digital(
        payloadBytes: Int, statistics: LinkStatistics, configuration: PhysicalLayerConfiguration, headerBits: Int,
        pixels: Int
    ) -> ChannelLedger {
        ChannelLedger(
            payloadChannelUses: statistics.channelUses,
            headerChannelUses: headerChannelUses(
                headerBits: headerBits, spectralEfficiency: configuration.spectralEfficiency),
            payloadBits: 8 * payloadBytes, bitsOnAir: statistics.bitsOnAir + headerBits, pixels: pixels,
            mcs: "\(configuration.modulation) \(configuration.code)")
    }

    /// One analog transmission: `channelUses` complex uses for the symbols (two reals each, pilots included).
    public static func analog(channelUses: Int, headerBits: Int, pixels: Int) -> ChannelLedger {
        ChannelLedger(
            payloadChannelUses: channelUses,
            headerChannelUses: headerChannelUses(headerBits: headerBits, spectralEfficiency: nil), payloadBits: 0,
            bitsOnAir: headerBits, pixels: pixels, mcs: nil)
    }

    /// This ledger plus a retransmission's: uses and bits add up; payload bits stay one copy's.
    public func adding(retransmission other: ChannelLedger) -> ChannelLedger {
        var sum = self
        sum.payloadChannelUses += other.payloadChannelUses
        sum.headerChannelUses += other.headerChannelUses
        sum.bitsOnAir += other.bitsOnAir
        sum.retransmissions += 1 + other.retransmissions
        sum.mcs = other.mcs ?? mcs
        return sum
    }

    /// Payload and header channel uses together (the hop annotation's `channel uses` field carries the payload's
    /// alone, protocol §5.2.1).
    public var totalChannelUses: Int { payloadChannelUses + headerChannelUses }

    /// ρ = payload channel uses ÷ (H·W·3).
    public var rho: Double { pixels > 0 ? Double(payloadChannelUses) / Double(Self.sourceValues(pixels: pixels)) : 0 }

    /// Source bits per pixel of a digital payload (one copy; 0 for analog).
    public var bitsPerPixel: Double { pixels > 0 ? Double(payloadBits) / Double(pixels) : 0 }
}

extension ChannelLedger {
    /// The ledger of `frame`'s hop `hop`, rebuilt from the annotation (payload channel uses, bits on air,
    /// modulation and code rate) and the frame: what a receiver or a dashboard reports for a hop it did not run.
    /// The header is the frame's as received; an analog hop's header counts at one bit per use.
    public init(hop: HopAnnotation, frame: MapFrame) {
        let headerBits = frame.headerBits
        var efficiency: Double?
        let bits = hop.mode != .analog
        if bits {
            let rate =
                hop.codeRate.denominator > 0
                ? Double(hop.codeRate.numerator) / Double(hop.codeRate.denominator) : 1
            efficiency = ChannelConventions.spectralEfficiency(
                codeRate: rate, bitsPerSymbol: hop.modulation.bitsPerSymbol)
        }
        self.init(
            payloadChannelUses: Int(clamping: hop.channelUses),
            headerChannelUses: Self.headerChannelUses(headerBits: headerBits, spectralEfficiency: efficiency),
            payloadBits: Self.payloadBits(of: frame), bitsOnAir: Int(clamping: hop.bitsOnAir),
            pixels: frame.width * frame.height, mcs: bits ? "\(hop.modulation) \(hop.code)" : nil)
    }

    /// Source bits of a frame's digital payload: the whole payload of a digital frame, the map and metadata of a
    /// layered one, none of an analog one.
    static func payloadBits(of frame: MapFrame) -> Int {
        switch frame.encoding {
        case .digital, .context: 8 * frame.payload.bytes.count
        case .analog: 0
        case .layered(let layout): 8 * (layout.mapLength + layout.metadataLength)
        }
    }
}
