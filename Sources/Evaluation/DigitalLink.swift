import ChannelModels
import Link
import Randomness

/// The digital physical layer a sweep's digital modes cross: the relay's radio (`RelayRadio` with
/// `--mcs auto`: per Es/N0 the modulation and code of `MCSTable` with the highest throughput whose frame error
/// rate stays under 10 %) and its `PhysicalLayer` (per-block CRC-32, encoder, modulation, channel, soft
/// demapping, decoder).
///
/// Map frames cross it inside `RelayChannel` (given this radio); the classical mode's JPEG, which is no map
/// frame, crosses the same `PhysicalLayer` here. The frame header travels on the protected control channel,
/// delivered intact and counted as the relay counts it: its bits on the air, its channel uses at the
/// payload's spectral efficiency.
struct DigitalLink {
    let radio: RelayRadio

    init(fading: Bool, coherence: Int) {
        radio = RelayRadio(
            channel: fading
                ? RadioChannel(fading: .rayleighBlock(coherence: coherence), equalizer: .mmse, csi: .perfect)
                : RadioChannel(),
            mcsAuto: true)
    }

    /// One transmission's result.
    struct Transmission {
        /// The payload as decoded (with whatever residual errors remain).
        var bytes: [UInt8]
        /// Whether a code block failed its CRC (the receiver would NACK).
        var corrupt: Bool
        /// Bits and complex channel uses on the air, header included.
        var bitsOnAir: Int
        var channelUses: Int
        /// `modulation code`, e.g. `qpsk ldpc:1944:1/2`.
        var scheme: String
    }

    /// Sends `payload` once at Es/N0 `esN0DB`.
    func transmit(_ payload: [UInt8], esN0DB: Double, headerBits: Int, using rng: inout SeededGenerator) -> Transmission {
        let configuration = radio.configuration(esN0DB: esN0DB)
        let layer = PhysicalLayer(configuration)
        let (bytes, statistics) = layer.transmit(payload, esN0DB: esN0DB, using: &rng)
        let headerUses = Int((Double(headerBits) / configuration.spectralEfficiency).rounded(.up))
        return Transmission(
            bytes: bytes, corrupt: statistics.frameFailed, bitsOnAir: statistics.bitsOnAir + headerBits,
            channelUses: statistics.channelUses + headerUses,
            scheme: "\(configuration.modulation) \(configuration.code)")
    }
}

/// The analog channel the analog modes' symbols cross: AWGN in the sweep's convention, optionally after
/// Rayleigh block fading with equalisation (`AnalogFadingChannel`, the relay's fading for analog frames).
struct AnalogLink {
    let noise: AWGNChannel
    let fading: RadioChannel?

    /// Adds the channel to `symbols` in place; returns the complex channel uses (two real symbols per use).
    func apply(_ symbols: inout [Float], using rng: inout SeededGenerator) -> Int {
        if let fading {
            return AnalogFadingChannel(noise: noise, radio: fading).apply(to: &symbols, using: &rng).channelUses
        }
        return noise.apply(to: &symbols, using: &rng).channelUses
    }
}
