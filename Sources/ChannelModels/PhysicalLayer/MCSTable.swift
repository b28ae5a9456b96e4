/// One modulation-and-coding scheme and the Es/N0 it needs: the lowest Es/N0 (dB) at which a 500-byte frame
/// (`MCSTable.frameBytes`) is lost with probability under 10 %, measured by this project with
/// `semcom channel --mcs-table` (see `MCSTableData.swift`); nil when not reached below the search's ceiling.
public struct MCSEntry: Sendable, Hashable, Codable, CustomStringConvertible {
    public var modulation: Modulation
    public var code: ChannelCode
    /// Threshold Es/N0 on AWGN, dB.
    public var awgnThresholdDB: Double?
    /// Threshold Es/N0 on Rayleigh block fading (`MCSTable.rayleighChannel`), dB.
    public var rayleighThresholdDB: Double?

    public init(modulation: Modulation, code: ChannelCode, awgnThresholdDB: Double?, rayleighThresholdDB: Double?) {
        self.modulation = modulation
        self.code = code
        self.awgnThresholdDB = awgnThresholdDB
        self.rayleighThresholdDB = rayleighThresholdDB
    }

    /// Nominal information bits per channel use, Rc·log2 M (the ranking key of `--mcs auto`).
    public var spectralEfficiency: Double {
        ChannelConventions.spectralEfficiency(codeRate: code.rate, bitsPerSymbol: modulation.bitsPerSymbol)
    }

    /// The threshold for a channel with or without fading.
    public func threshold(fading: Bool) -> Double? { fading ? rayleighThresholdDB : awgnThresholdDB }

    public var description: String { "\(modulation) \(code)" }
}

/// The shipped MCS table and `--mcs auto`'s choice from it.
public enum MCSTable {
    /// The block error target of the table: frames under it count as working.
    public static let targetFrameErrorRate = 0.1
    /// The frame size of the table, bytes (≈ a digital 64×128 map).
    public static let frameBytes = 500
    /// The fading channel the Rayleigh thresholds were measured on: coherence 128 channel uses, perfect CSI, MMSE.
    public static let rayleighChannel = RadioChannel(
        fading: .rayleighBlock(coherence: 128), equalizer: .mmse, csi: .perfect)
    /// The candidates measured: every modulation with no code, the convolutional code at 1/2, 2/3, 3/4 and
    /// LDPC n = 1944 and n = 648 at 1/2, 2/3, 3/4, 5/6. The short codewords cost ≈ 0.5 dB of threshold but pad a
    /// short payload less (a 125-byte payload takes two 1944-bit codewords at rate 1/2, 3,888 channel uses on
    /// BPSK, or four 648-bit ones, 2,592): what a budgeted frame of a hundred bytes needs at low SNR.
    public static let candidateCodes: [ChannelCode] = [
        .none, .convolutional(.r12), .convolutional(.r23), .convolutional(.r34),
        .ldpc(n: 1944, rate: .r12), .ldpc(n: 1944, rate: .r23), .ldpc(n: 1944, rate: .r34), .ldpc(n: 1944, rate: .r56),
        .ldpc(n: 648, rate: .r12), .ldpc(n: 648, rate: .r23), .ldpc(n: 648, rate: .r34), .ldpc(n: 648, rate: .r56),
    ]

    /// The measured table.
    public static var entries: [MCSEntry] { MCSTableData.entries }

    /// The entry with the highest spectral efficiency whose threshold is at or below `esN0DB` (ties: the lower
    /// threshold); when none qualifies, the most robust entry (lowest threshold), so the link still tries.
    public static func select(esN0DB: Double, fading: Bool, from entries: [MCSEntry] = entries) -> MCSEntry? {
        let measured = entries.compactMap { e in e.threshold(fading: fading).map { (entry: e, threshold: $0) } }
        let working = measured.filter { $0.threshold <= esN0DB }
        if let best = working.max(by: {
            $0.entry.spectralEfficiency != $1.entry.spectralEfficiency
                ? $0.entry.spectralEfficiency < $1.entry.spectralEfficiency : $0.threshold > $1.threshold
        }) {
            return best.entry
        }
        return measured.min(by: { $0.threshold < $1.threshold })?.entry
    }
}
