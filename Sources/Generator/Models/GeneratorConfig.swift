import Foundation

/// The generator's architecture and diffusion settings, read from the `config.json` that
/// training writes beside the weights (same keys as `training/semcom_train/config.py`).
public struct GeneratorConfig: Codable, Sendable, Equatable {
    public var kind: String
    public var image_height: Int
    public var image_width: Int
    public var in_channels: Int
    public var model_channels: Int
    public var out_channels: Int
    public var num_res_blocks: Int
    /// Downsampling factors at which attention follows each res block.
    public var attention_resolutions: [Int]
    public var channel_mult: [Int]
    public var num_head_channels: Int
    public var num_heads: Int
    /// Channels of the conditioning map.
    public var num_classes: Int
    public var spade_hidden: Int
    public var num_groups: Int
    public var dropout: Double
    public var resblock_updown: Bool
    public var use_scale_shift_norm: Bool
    public var learn_sigma: Bool
    public var diffusion_steps: Int
    public var beta_start: Double
    public var beta_end: Double
    public var default_guidance: Double
    public var default_steps: Int
    // Sampling defaults (all optional, all named `default_*`: the PyTorch reference's config keeps such keys).
    /// The receiver's default sampler (`ddim`, `ddpm`, `dpmpp2m`); absent: ddim.
    public var default_sampler: String?
    /// How x0 predictions are treated (`SamplerSettings`): `clip` (absent), `dynamic`, `none`.
    public var default_x0: String?
    public var default_dynamic_quantile: Double?
    public var default_dynamic_min_t: Int?
    /// Guidance only at timesteps in default_guidance_min_t…default_guidance_max_t (absent: all).
    public var default_guidance_min_t: Int?
    public var default_guidance_max_t: Int?
    /// φ of CFG rescale (absent: 0, off).
    public var default_guidance_rescale: Double?
    /// Frequency-split guidance: the guidance of the direction's fine detail and the block size that
    /// splits it (absent: plain guidance).
    public var default_guidance_high_frequency: Double?
    public var default_guidance_high_frequency_pool: Int?

    /// The sampler settings the model's config asks for, at `guidance` (default: the config's).
    public func samplerSettings(guidance: Float? = nil) -> SamplerSettings {
        var settings = SamplerSettings(guidance: guidance ?? Float(default_guidance))
        settings.x0 = default_x0.flatMap(SamplerSettings.X0Treatment.init(rawValue:)) ?? .clip
        if let default_dynamic_quantile { settings.dynamicQuantile = Float(default_dynamic_quantile) }
        settings.dynamicMinT = default_dynamic_min_t ?? 0
        settings.guidanceMinT = default_guidance_min_t ?? 0
        settings.guidanceMaxT = default_guidance_max_t ?? .max
        settings.rescale = Float(default_guidance_rescale ?? 0)
        settings.highFrequencyGuidance = default_guidance_high_frequency.map(Float.init)
        settings.highFrequencyPool = default_guidance_high_frequency_pool ?? 2
        return settings
    }

    public static func load(path: String) throws -> GeneratorConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError("\(path): generator config not found")
        }
        do {
            let config = try JSONDecoder().decode(GeneratorConfig.self, from: data)
            try config.validate(source: path)
            return config
        } catch let error as ModelError {
            throw error
        } catch {
            throw ModelError("\(path): not a valid generator config (\(error))")
        }
    }

    func validate(source: String) throws {
        guard kind == "spade-unet" else { throw ModelError("\(source): kind \(kind) is not spade-unet") }
        guard resblock_updown else { throw ModelError("\(source): only resblock_updown=true is supported") }
        guard out_channels == (learn_sigma ? 6 : 3), in_channels == 3 else {
            throw ModelError(
                "\(source): in/out channels \(in_channels)/\(out_channels) do not match learn_sigma=\(learn_sigma)")
        }
        if let default_sampler, ImageGenerator.Method(rawValue: default_sampler) == nil {
            throw ModelError("\(source): default_sampler \(default_sampler) is not ddim, ddpm or dpmpp2m")
        }
        if let default_x0, SamplerSettings.X0Treatment(rawValue: default_x0) == nil {
            throw ModelError("\(source): default_x0 \(default_x0) is not clip, dynamic or none")
        }
        if let pool = default_guidance_high_frequency_pool {
            let levels = channel_mult.count - 1
            guard pool >= 1, image_height % pool == 0, image_width % pool == 0, levels >= 0 else {
                throw ModelError(
                    "\(source): default_guidance_high_frequency_pool \(pool) does not divide the image size")
            }
        }
        guard model_channels % num_groups == 0 else {
            throw ModelError("\(source): model_channels not divisible by num_groups")
        }
        let levels = channel_mult.count - 1
        guard image_height % (1 << levels) == 0, image_width % (1 << levels) == 0 else {
            throw ModelError("\(source): image size \(image_height)x\(image_width) not divisible by 2^\(levels)")
        }
    }
}

/// A failure to build or run a model, with a message naming the file or tensor.
public struct ModelError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
