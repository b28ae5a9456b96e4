/// The channel conventions of semcom, each formula in one place (see docs/DESIGN.md,
/// "Channel conventions"). Every function is pure; powers are linear ratios, levels in dB.
///
/// Two SNR conventions coexist and must never be mixed silently:
/// - **PSNR** (GESCO, analog maps): symbols in {0, 1}, peak amplitude 1, real Gaussian noise
///   of standard deviation σ = peak · 10^(−PSNR/20) added independently to every symbol.
/// - **Es/N0** (radio convention): energy per complex channel use over the one-sided noise
///   density, N0/2 of noise variance per real dimension. With unit-average-power complex
///   symbols N0 = 10^(−Es/N0 / 10). Eb/N0 = Es/N0 − 10·log10(Rc · log2 M).
public enum ChannelConventions {
    /// A power ratio in dB → linear (10^(dB/10)).
    public static func linear(fromDecibels dB: Double) -> Double {
        libmPow(10, dB / 10)
    }

    /// A linear power ratio → dB (10·log10(ratio)). −∞ for 0, +∞ for +∞.
    public static func decibels(fromLinear ratio: Double) -> Double {
        10 * libmLog10(ratio)
    }

    /// GESCO's PSNR convention: the real noise standard deviation for a peak PSNR in dB,
    /// σ = peak · 10^(−PSNR/20) (PSNR = 10·log10(peak² / σ²)). `peak` is 1 for one-hot maps.
    public static func noiseStd(psnrDB: Double, peak: Double = 1) -> Double {
        peak * libmPow(10, -psnrDB / 20)
    }

    /// The PSNR in dB that a noise standard deviation `sigma` gives on symbols of peak `peak`.
    public static func psnrDB(noiseStd sigma: Double, peak: Double = 1) -> Double {
        20 * libmLog10(peak / sigma)
    }

    /// The one-sided noise density N0 (linear) for an Es/N0 in dB and an average energy per
    /// complex channel use `symbolEnergy` (1 for unit-average-power constellations).
    public static func noiseDensity(esN0DB: Double, symbolEnergy: Double = 1) -> Double {
        symbolEnergy * libmPow(10, -esN0DB / 10)
    }

    /// Spectral efficiency: information bits per complex channel use, Rc·log2 M, for code rate `codeRate`
    /// (information bits per coded bit, 1 when uncoded) and `bitsPerSymbol` coded bits per channel use (log2 M);
    /// overheads (CRC, padding, pilots) not counted.
    public static func spectralEfficiency(codeRate: Double, bitsPerSymbol: Int) -> Double {
        codeRate * Double(bitsPerSymbol)
    }

    /// Eb/N0 in dB from Es/N0 in dB, for code rate `codeRate` (information bits per coded bit,
    /// 1 when uncoded) and `bitsPerSymbol` coded bits per channel use (log2 M).
    public static func ebN0DB(esN0DB: Double, codeRate: Double = 1, bitsPerSymbol: Int = 1) -> Double {
        esN0DB - 10 * libmLog10(spectralEfficiency(codeRate: codeRate, bitsPerSymbol: bitsPerSymbol))
    }

    /// Es/N0 in dB from Eb/N0 in dB (the inverse of `ebN0DB(esN0DB:codeRate:bitsPerSymbol:)`).
    public static func esN0DB(ebN0DB: Double, codeRate: Double = 1, bitsPerSymbol: Int = 1) -> Double {
        ebN0DB + 10 * libmLog10(spectralEfficiency(codeRate: codeRate, bitsPerSymbol: bitsPerSymbol))
    }

    /// The average SNR in dB of a one-hot map over `classCount` channels at a given PSNR:
    /// each pixel has one symbol at 1 and K − 1 at 0, so the average signal power is 1/K and
    /// SNR = PSNR − 10·log10(K).
    public static func oneHotAverageSNRDB(psnrDB: Double, classCount: Int) -> Double {
        psnrDB - 10 * libmLog10(Double(classCount))
    }

    /// The noise table GESCO's sampling script (`image_sample.py`, `SNR_DICT`) actually uses:
    /// its "SNR" key in dB → the noise standard deviation it multiplies `randn` by.
    ///
    /// These σ are successive powers of 0.6 and do **not** follow σ = 10^(−PSNR/20): that
    /// formula gives 0.032 at 30 dB where GESCO uses 0.05, and GESCO's σ correspond to true
    /// PSNRs of 26.0, 21.9, 17.7, 13.2, 8.9, 4.4 and 0.9 dB. Use
    /// `AnalogNoiseConvention.gescoTable` to reproduce the paper's noise exactly, and
    /// `.psnr` for the physically consistent convention.
    public static let gescoNoiseTable: [(psnrDB: Double, noiseStd: Double)] = [
        (30, 0.05), (25, 0.08), (20, 0.13), (15, 0.22), (10, 0.36), (5, 0.6), (1, 0.9),
    ]

    /// GESCO's σ for one of its table's settings (30, 25, 20, 15, 10, 5, 1 dB; 100 dB → 0,
    /// as in its script), or nil for any other setting.
    public static func gescoNoiseStd(psnrDB: Double) -> Double? {
        if psnrDB == 100 { return 0 }
        return gescoNoiseTable.first(where: { $0.psnrDB == psnrDB })?.noiseStd
    }
}
