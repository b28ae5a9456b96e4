import ChannelModels
import SemanticWire

/// The relay's radio settings (`semcom relay --modulation --code --fading --coherence --equalizer --csi --mcs`):
/// the digital physical layer every digital frame's payload crosses, and the fading analog frames meet.
///
/// The frame header travels on a protected control channel: it is delivered intact, and its bits are
/// counted on the air at the payload's spectral efficiency (header bits / (Rc·log2 M) channel uses).
public struct RelayRadio: Sendable, Hashable {
    /// Modulation of digital payloads (ignored with `mcsAuto`).
    public var modulation: Modulation
    /// Channel code of digital payloads (ignored with `mcsAuto`).
    public var code: ChannelCode
    /// Fading, equaliser and CSI, for digital and analog frames.
    public var channel: RadioChannel
    /// Pick modulation and code per SNR from `MCSTable` (highest throughput with frame error rate < 10 %).
    public var mcsAuto: Bool
    /// Soft demapping.
    public var demapping: SoftDemapper.Method

    public init(
        modulation: Modulation = .bpsk, code: ChannelCode = .none, channel: RadioChannel = RadioChannel(),
        mcsAuto: Bool = false, demapping: SoftDemapper.Method = .exact
    ) {
        self.modulation = modulation
        self.code = code
        self.channel = channel
        self.mcsAuto = mcsAuto
        self.demapping = demapping
    }

    /// The physical layer for digital frames at Es/N0 `esN0DB`.
    public func configuration(esN0DB: Double) -> PhysicalLayerConfiguration {
        var modulation = self.modulation, code = self.code
        if mcsAuto, let entry = MCSTable.select(esN0DB: esN0DB, fading: channel.fading != .none) {
            modulation = entry.modulation
            code = entry.code
        }
        return PhysicalLayerConfiguration(modulation: modulation, code: code, channel: channel, demapping: demapping)
    }
}

extension ModulationID {
    init(_ modulation: Modulation) {
        switch modulation {
        case .bpsk: self = .bpsk
        case .qpsk: self = .qpsk
        case .qam16: self = .qam16
        case .qam64: self = .qam64
        }
    }

    /// Coded bits per complex channel use (log2 M) of a hop's modulation: `Modulation.bitsPerSymbol`, 8 for
    /// 256-QAM (which the wire names but no relay here runs), 1 for none or an unknown code.
    var bitsPerSymbol: Int {
        if self == .qam256 { return 8 }
        return Modulation.allCases.first { ModulationID($0) == self }?.bitsPerSymbol ?? 1
    }
}

extension ChannelCodeID {
    init(_ code: ChannelCode) {
        switch code {
        case .none: self = .uncoded
        case .convolutional: self = .convolutional
        case .ldpc: self = .ldpc
        }
    }
}
