import ChannelModels
import Imaging
import MapCoding
import Randomness
import SemanticWire

/// How the receiver denoises analog maps (`semcom receive --denoiser`).
public enum MapDenoiser: String, Sendable, CaseIterable, Codable {
    /// Mean-field inference under a Potts prior with the noise σ estimated from the symbols
    /// (`PottsDenoiser`): keeps thin structures that FDS erases. After a relay's Rayleigh block fading
    /// (the hop's fading block length), each block's level and noise are fitted instead (`FadingEstimate`).
    /// The default.
    case potts
    /// GESCO's Fast Denoising Semantic block (3×3 average, 3×3 max) on every analog map.
    case fds
    /// FDS only when the symbols' estimated σ ≥ `fdsAutoThreshold`: on a clean map FDS costs ≈ 3 %
    /// of the pixels (1–2 pixel structures), while the raw argmax of a one-hot map errs only once σ
    /// approaches 0.25 (PSNR ≈ 12 dB).
    case fdsAuto = "fds-auto"
    /// None: the raw argmax of the symbols.
    case none

    /// Noise σ (per symbol, peak 1) from which `fds-auto` applies FDS: PSNR ≈ 14 dB.
    public static let fdsAutoThreshold: Float = 0.2
}

/// What a receiver did to an analog map before deciding it.
public enum AppliedDenoising: String, Sendable {
    case none, fds, potts
}

/// How a receiver turns a MAP_FRAME into a label map.
public enum MapDecision {
    /// The decided map and what was done to get it.
    public struct Decision: Sendable {
        public var labels: LabelMap
        /// The denoiser applied (analog frames; `.none` for digital).
        public var denoising: AppliedDenoising
        /// The noise σ estimated from the analog symbols (`AnalogNoiseEstimate`); nil for digital.
        public var estimatedNoiseStd: Float?
        /// The analog symbols as received (before denoising); nil for digital frames.
        public var receivedSymbols: AnalogSymbols? = nil
        /// What the generator is to be conditioned on (`GeneratorConditioning`): the FDS planes this
        /// decision computed when it applied FDS, the one-hot of `labels` otherwise.
        public var conditioning: GeneratorConditioning
        /// A layered frame's parts as received (nil for other frames): whether it had a map that arrived (else
        /// `labels` is all void and must not be stored as a map), and SoftCast's estimate.
        public var layered: LayeredReception?

        init(
            labels: LabelMap, denoising: AppliedDenoising, estimatedNoiseStd: Float?,
            receivedSymbols: AnalogSymbols? = nil, conditioning: GeneratorConditioning? = nil,
            layered: LayeredReception? = nil
        ) {
            self.labels = labels
            self.denoising = denoising
            self.estimatedNoiseStd = estimatedNoiseStd
            self.receivedSymbols = receivedSymbols
            self.conditioning = conditioning ?? .labels(labels)
            self.layered = layered
        }

        /// Whether there is a map to store and generate from (every frame but a layered one without a map part,
        /// or whose map the channel broke).
        public var hasMap: Bool { layered.map { $0.labels != nil } ?? true }
    }

    /// Digital: the decoded map. Analog: the symbols → the `denoiser` → the class of the largest
    /// symbol per pixel (nearest upsampling of downsampled planes; void where no plane reaches 0.5).
    /// Layered: the map part if it arrived, SoftCast's estimate if its metadata did (`LayeredReception`).
    /// - Parameters:
    ///   - mapPrior: the prior context-coded maps may name (`MapCoding`).
    ///   - softCast: the SoftCast profiles layered frames may name.
    /// - Throws: `WireError` from payload decoding (answer NACK with its `nackReason`).
    public static func decide(
        _ frame: MapFrame, denoiser: MapDenoiser = .potts, mapPrior: MapPrior? = nil,
        softCast: SoftCastProfiles? = nil, limits: WireLimits = .default
    ) throws -> Decision {
        switch frame.encoding {
        case .layered:
            let reception = try LayeredReception(frame, profiles: softCast, prior: mapPrior, limits: limits)
            return Decision(
                labels: reception.labels ?? LabelMap(width: frame.width, height: frame.height, fill: LabelMap.void),
                denoising: .none, estimatedNoiseStd: nil, layered: reception)
        case .digital, .context:
            return Decision(
                labels: try frame.decodeDigitalMap(prior: mapPrior, limits: limits), denoising: .none,
                estimatedNoiseStd: nil)
        case .analog:
            var symbols = try frame.decodeAnalogSymbols(limits: limits)
            guard !symbols.classes.isEmpty else {
                return Decision(
                    labels: LabelMap(width: frame.width, height: frame.height, fill: LabelMap.void), denoising: .none,
                    estimatedNoiseStd: nil)
            }
            let received = symbols
            let sigma = AnalogNoiseEstimate.standardDeviation(of: symbols.values)
            let applied: AppliedDenoising =
                switch denoiser {
                case .potts: .potts
                case .fds: .fds
                case .fdsAuto: sigma >= MapDenoiser.fdsAutoThreshold ? .fds : .none
                case .none: .none
                }
            let planes = symbols.planes
            switch applied {
            case .potts:
                symbols.values =
                    PottsDenoiser.denoise(planes, noise: symbolNoise(frame, planes: planes, noiseStd: sigma)).values
            case .fds: symbols = symbols.filteredByFDS()
            case .none: break
            }
            let labels = symbols.hardDecision(width: frame.width, height: frame.height)
            // After FDS the generator takes the filtered planes, as it was trained on noisy maps.
            let conditioning: GeneratorConditioning =
                applied == .fds
                ? .planes(
                    values: symbols.values, classes: symbols.classes, height: symbols.planeHeight,
                    width: symbols.planeWidth)
                : .labels(labels)
            return Decision(
                labels: labels, denoising: applied, estimatedNoiseStd: sigma, receivedSymbols: received,
                conditioning: conditioning)
        }
    }

    /// What the Potts denoiser assumes of the symbols' noise: each fading block's channel, fitted from the
    /// symbols, when a relay on the frame's path applied Rayleigh block fading (`FadingEstimate`); one σ otherwise.
    static func symbolNoise(_ frame: MapFrame, planes: ClassPlanes, noiseStd: Float) -> PottsDenoiser.SymbolNoise {
        guard planes.channels > 0, let length = fadingBlockSymbols(frame.hops, symbolCount: planes.values.count),
            length >= FadingEstimate.minimumBlockLength
        else {
            return .uniform(std: noiseStd)
        }
        return .fading(FadingEstimate.fit(planes.values, blockLength: length, classCount: planes.channels))
    }

    /// Real symbols per fading block on the path (the shortest when several hops faded the frame: their blocks
    /// are then cut finer), nil when no hop did. A block of `c` complex channel uses carries 2·(c − p) real
    /// symbols after its `p` pilots; `p` is not on the wire, so it is recovered from the hop's channel uses,
    /// ⌈n/2⌉ + p·(number of blocks) (`RadioChannel.channelUses`). The hop's fields come from the wire: the
    /// search is bounded and an inconsistent hop counts as pilot-free.
    static func fadingBlockSymbols(_ hops: [HopAnnotation], symbolCount: Int) -> Int? {
        let data = (symbolCount + 1) / 2
        var shortest: Int?
        for hop in hops where hop.mode == .analog && hop.fadingBlockLength > 0 {
            let coherence = Int(hop.fadingBlockLength)
            let extra = Int(clamping: hop.channelUses) - data
            let bound = min(coherence, 1 << 16, extra == .max ? extra : extra + 1)
            let pilots =
                extra <= 0
                ? 0
                : (1..<max(1, bound)).first { p in
                    let perBlock = coherence - p
                    return p * ((data + perBlock - 1) / perBlock) == extra
                } ?? 0
            let length = 2 * (coherence - pilots)
            shortest = min(shortest ?? length, length)
        }
        return shortest
    }

    /// The generator's seed for frame `frameID` under the base seed `seed` (the receiver's diffusion `--seed`,
    /// `semcom eval --seed`): a frame is generated from the same noise wherever it is received.
    public static func generatorSeed(_ seed: UInt64, frameID: UInt64) -> UInt64 { SeededGenerator.mix(seed, frameID) }

    /// The decided map (see `decide`).
    public static func labels(of frame: MapFrame, denoiser: MapDenoiser = .potts, limits: WireLimits = .default)
        throws -> LabelMap
    {
        try decide(frame, denoiser: denoiser, limits: limits).labels
    }
}
