import ChannelModels
import Link
import Randomness

/// The digital physical layer a sweep's digital modes cross: the relay's radio (`RelayRadio` with
/// `--mcs auto`: per Es/N0 the modulation and code of `MCSTable` with the highest throughput whose frame error
/// rate stays under 10 %) and its `PhysicalLayer` (per-block CRC-32, encoder, modulation, channel, soft
/// demapping, decoder). Map frames cross it inside `RelayChannel`; the codecs' streams, which are no map
/// frames, cross the same `PhysicalLayer` directly, their header counted by `ChannelLedger` as the relay counts it.
struct DigitalLink {
    let radio: RelayRadio
    /// The MCSs a budgeted sweep tries, each its own row: the table's entries that no other entry dominates
    /// on this channel (another with at least the spectral efficiency at no higher threshold). A dominated
    /// MCS carries fewer bits at the same SNR and never wins the envelope; the cut keeps a sweep's cost in
    /// check (18 of the 32 entries on AWGN).
    let budgetCandidates: [MCSEntry]

    init(fading: Bool, coherence: Int) {
        let channel =
            fading
            ? RadioChannel(fading: .rayleighBlock(coherence: coherence), equalizer: .mmse, csi: .perfect)
            : RadioChannel()
        radio = RelayRadio(channel: channel, mcsAuto: true)
        budgetCandidates = Self.undominated(MCSTable.entries, fading: fading)
    }

    /// The physical layer of one MCS on this link's channel.
    func configuration(_ entry: MCSEntry) -> PhysicalLayerConfiguration {
        PhysicalLayerConfiguration(modulation: entry.modulation, code: entry.code, channel: radio.channel)
    }

    /// The entries with a measured threshold that no other entry dominates, by rising threshold.
    static func undominated(_ entries: [MCSEntry], fading: Bool) -> [MCSEntry] {
        let measured = entries.compactMap { e in e.threshold(fading: fading).map { (entry: e, threshold: $0) } }
        return measured.filter { candidate in
            !measured.contains { other in
                other.entry != candidate.entry && other.threshold <= candidate.threshold
                    && other.entry.spectralEfficiency >= candidate.entry.spectralEfficiency
                    && (other.threshold < candidate.threshold
                        || other.entry.spectralEfficiency > candidate.entry.spectralEfficiency)
            }
        }
        .sorted { $0.threshold < $1.threshold }.map(\.entry)
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
