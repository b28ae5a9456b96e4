import ChannelModels
import Generator
import Link

/// How a sweep's SNR setting becomes noise, for every mode alike.
public enum SweepConvention: String, Sendable, Codable, CaseIterable {
    /// Es/N0 per complex channel use (docs/DESIGN.md): the digital modes' unit-power constellations get
    /// N0 = 10^(−SNR/10); analog symbols (one-hot maps, pixels in 0…1) get σ² = P̄·10^(−SNR/10) per real symbol,
    /// with P̄ their measured mean square. Every mode thus spends the same average energy per channel use
    /// against the same noise: the fair comparison, and the default.
    case esN0 = "esn0"
    /// GESCO's peak SNR for the analog modes (symbols in 0…1, σ = 10^(−PSNR/20) whatever the map holds) and
    /// the same number as Es/N0 for the digital modes, as `semcom relay --psnr` does. Reproduces the paper's
    /// axis; the analog modes then get less noise than Es/N0 would give them (PSNR = Es/N0 + 10·log10(1/P̄)).
    case psnr

    /// The plots' axis label.
    public var axisLabel: String {
        switch self {
        case .esN0: "channel SNR, Es/N0 (dB), all modes"
        case .psnr: "channel SNR (dB): PSNR (peak 1) for analog modes, Es/N0 for digital modes"
        }
    }

    /// The analog noise at `dB` under this convention.
    public func analogNoise(_ dB: Double) -> AWGNChannel {
        switch self {
        case .esN0: .esN0(dB)
        case .psnr: .psnr(dB)
        }
    }
}

/// Everything a sweep is run with (recorded in summary.json and the report).
public struct EvaluationSettings: Sendable, Codable {
    /// SNR points, dB (see `convention`).
    public var snrs: [Double]
    public var modes: [TransmissionMode]
    /// Channel budgets (`--budget`); `[.none]` is the sweep without budgets.
    public var budgets: [ChannelBudget] = [.none]
    /// Channel seeds per cell (`--seeds`): every cell is repeated with this many channel noise draws.
    public var channelSeeds: Int = 1
    public var convention: SweepConvention = .esN0
    /// `awgn` or `rayleigh` (block fading, `coherence` channel uses, MMSE with perfect CSI).
    public var fading: Bool = false
    public var coherence: Int = 128
    /// The generator's sampler, steps and guidance (nil: the model's defaults: its `default_sampler`, …).
    public var sampler: ImageGenerator.Method?
    public var steps: Int?
    public var guidance: Float?
    /// The receiver's analog map denoiser (`semcom receive --denoiser`).
    public var denoiser: MapDenoiser = .potts
    /// Base seed: channel noise, diffusion noise and generated scenes derive from it.
    public var seed: UInt64 = 1
    /// JPEG quality of the classical mode, 1…100.
    public var jpegQuality: Int = 75
    /// Retransmissions after a failed digital frame (the sender's `--max-retries`).
    public var maxRetries: Int = 3
    /// Images per SNR shown in the report's grids.
    public var gridImages: Int = 2
    /// The hybrid's t₀ calibration c: the generator starts where (1 − ᾱ_t₀)/ᾱ_t₀ = c·(the SoftCast layer's
    /// expected MSE in the model's scale) (`ImageGenerator.generate(…guide:…)`).
    public var hybridCalibration: Double = ImageGenerator.defaultHybridCalibration

    public init(snrs: [Double], modes: [TransmissionMode]) {
        self.snrs = snrs
        self.modes = modes
    }
}
