/// How a sampler turns the network's ε into a data prediction x0 — the one place where guidance and the
/// x0 treatment happen (every sampler goes through `DiffusionSampler.predictX0`), as in the PyTorch
/// reference's `Diffusion.predict_x0`:
///
///     g   = guidance if guidanceMinT ≤ t ≤ guidanceMaxT, else 1 (one conditional pass)
///     d   = ε(map) − ε(∅)
///     ε   = ε(∅) + g·d, or with frequency-split guidance (after Sadat et al. 2025, guidance in the frequency
///           domain): L = upsample_k(avgpool_k(d)) (k×k block means), ε = ε(∅) + g·L + g_hf·(d − L)
///     then CFG rescale φ: ε ← φ·ε·std(ε(map))/std(ε) + (1 − φ)·ε
///     x0  = (x − √(1−ᾱ_t)·ε) / √ᾱ_t, then
///           clip:    clamp(x0, −1, 1)
///           dynamic: s = max(1, quantile_p(|x0|)) per image, x0 = clamp(x0, −s, s)/s (Imagen); the plain
///                    clamp at t < dynamicMinT
///           none:    unchanged
///     ε   = (x − √ᾱ_t·x0) / √(1−ᾱ_t)   (what DDIM steps with)
public struct SamplerSettings: Sendable, Equatable {
    public enum X0Treatment: String, Sendable, Codable, CaseIterable { case clip, dynamic, none }

    public var guidance: Float
    public var guidanceMinT: Int = 0
    public var guidanceMaxT: Int = .max
    /// φ of CFG rescale (Lin et al. 2023); 0: off.
    public var rescale: Float = 0
    /// g_hf, the guidance of the guidance direction's fine detail (nil: plain guidance, g for all of it).
    public var highFrequencyGuidance: Float?
    /// k, the block size that splits coarse from fine.
    public var highFrequencyPool: Int = 2
    public var x0: X0Treatment = .clip
    /// p of dynamic thresholding.
    public var dynamicQuantile: Float = 0.995
    public var dynamicMinT: Int = 0

    public init(guidance: Float) { self.guidance = guidance }

    /// The guidance scale in effect at timestep `t`.
    func guidance(at t: Int) -> Float { t >= guidanceMinT && t <= guidanceMaxT ? guidance : 1 }
}
