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
    private let fading: Bool

    init(fading: Bool, coherence: Int) {
        let channel =
            fading
            ? RadioChannel(fading: .rayleighBlock(coherence: coherence), equalizer: .mmse, csi: .perfect)
            : RadioChannel()
        radio = RelayRadio(channel: channel, mcsAuto: true)
        self.fading = fading
    }

    /// The physical layer of one MCS on this link's channel.
    func configuration(_ entry: MCSEntry) -> PhysicalLayerConfiguration {
        PhysicalLayerConfiguration(modulation: entry.modulation, code: entry.code, channel: radio.channel)
    }

    /// One MCS under a budget: the most payload bytes it carries in the budget (nil: not even one).
    struct Candidate {
        var entry: MCSEntry
        var threshold: Double
        var maxBytes: Int?
    }

    /// The MCSs a sweep tries under a budget of `k` complex channel uses, each its own row: every measured
    /// entry of the table that no other dominates *at this budget* — another that carries at least as many
    /// payload bytes in k uses (`PayloadFit`, with the code's own block and padding) at no higher threshold,
    /// better in one of the two. A dominated MCS delivers fewer bytes at the same SNR and never wins the
    /// envelope; the cut keeps a sweep's cost in check. Judged on bytes in k, not on the nominal Rc·log2 M: a
    /// short budget can favour a code with small blocks over an LDPC codeword that does not fit.
    func candidates(channelUses k: Int) -> [Candidate] {
        let measured = MCSTable.entries.compactMap { entry in
            entry.threshold(fading: fading).map {
                Candidate(
                    entry: entry, threshold: $0,
                    maxBytes: PayloadFit.maxPayloadBytes(configuration(entry), channelUses: k))
            }
        }
        return measured.filter { candidate in
            let bytes = candidate.maxBytes ?? 0
            return !measured.contains { other in
                let otherBytes = other.maxBytes ?? 0
                return other.entry != candidate.entry && other.threshold <= candidate.threshold && otherBytes >= bytes
                    && (other.threshold < candidate.threshold || otherBytes > bytes)
            }
        }
        .sorted { $0.threshold < $1.threshold }
    }
}

/// The analog channel the analog modes' symbols cross: AWGN in the sweep's convention, optionally after
/// Rayleigh block fading with equalisation (`AnalogFadingChannel`, the relay's fading for analog frames).
struct AnalogLink {
    let noise: AWGNChannel
    let fading: RadioChannel?

    /// As `apply`, with what a receiver knowing its channel knows per real symbol after fading and equalisation:
    /// the equaliser's gains and noise variances (nil on AWGN, where the noise is the same everywhere).
    func applyReportingChannel(_ symbols: inout [Float], using rng: inout SeededGenerator) -> (
        uses: Int, channel: (gains: [Float], noiseVariances: [Float])?
    ) {
        if let fading {
            let out = AnalogFadingChannel(noise: noise, radio: fading).applyReportingChannel(to: &symbols, using: &rng)
            return (out.statistics.channelUses, (out.gains, out.noiseVariances))
        }
        return (noise.apply(to: &symbols, using: &rng).channelUses, nil)
    }

    /// Adds the channel to `symbols` in place; returns the complex channel uses (two real symbols per use).
    func apply(_ symbols: inout [Float], using rng: inout SeededGenerator) -> Int {
        if let fading {
            return AnalogFadingChannel(noise: noise, radio: fading).apply(to: &symbols, using: &rng).channelUses
        }
        return noise.apply(to: &symbols, using: &rng).channelUses
    }
}
