import Foundation
import Imaging
import Randomness
import Tensor

/// Generates an image from a semantic map: the U-Net, the DDIM sampler with guidance and seeded
/// noise, at the settings a receiver uses.
public final class ImageGenerator: @unchecked Sendable {
    public let model: SpadeUNet
    public let sampler: DiffusionSampler
    public var config: GeneratorConfig { model.config }

    public init(model: SpadeUNet) {
        self.model = model
        sampler = DiffusionSampler(config: model.config)
    }

    public convenience init(folder: String) throws { self.init(model: try SpadeUNet(folder: folder)) }

    /// Model input size in pixels.
    public var height: Int { config.image_height }
    public var width: Int { config.image_width }

    /// One-hot conditioning [1, K, H, W] of a label map (resized nearest to the model's size when
    /// it differs; void pixels all zero).
    public func conditioning(labels: LabelMap) -> Tensor {
        ImageTensor.oneHot(Resize.nearest(labels, width: width, height: height), classes: config.num_classes)
    }

    /// Conditioning from soft class planes (e.g. received analog symbols after FDS): plane `i`
    /// holds class `classes[i]`; planes are resized nearest to the model's size; absent classes
    /// stay zero — exactly how training builds noisy maps.
    public func conditioning(planes: [Float], classes: [UInt8], planeHeight: Int, planeWidth: Int) -> Tensor {
        let k = config.num_classes
        let planesTensor = Tensor(shape: [1, classes.count, planeHeight, planeWidth], data: planes)
        let resized = Resample.resizeNearest(planesTensor, height: height, width: width)
        let hw = height * width
        var data = [Float](repeating: 0, count: k * hw)
        for (i, id) in classes.enumerated() where Int(id) < k {
            for p in 0..<hw { data[Int(id) * hw + p] = resized.data[i * hw + p] }
        }
        return Tensor(shape: [1, k, height, width], data: data)
    }

    /// The input tensor for `conditioning` (the one-hot of decided labels, or soft planes).
    public func conditioning(_ conditioning: GeneratorConditioning) -> Tensor {
        switch conditioning {
        case .labels(let labels): self.conditioning(labels: labels)
        case .planes(let values, let classes, let height, let width):
            self.conditioning(planes: values, classes: classes, planeHeight: height, planeWidth: width)
        }
    }

    /// The reverse process: deterministic DDIM, ancestral DDPM (GESCO samples with all 1000 DDPM steps) or
    /// DPM-Solver++(2M) (few steps).
    public enum Method: String, Sendable, CaseIterable, Codable {
        case ddim, ddpm, dpmpp2m

        /// The sampler's name for reports and logs.
        public var displayName: String {
            switch self {
            case .ddim: "DDIM"
            case .ddpm: "DDPM (ancestral)"
            case .dpmpp2m: "DPM-Solver++(2M)"
            }
        }
    }

    /// The model's default sampler (`default_sampler` in its config; DDIM when absent).
    public var defaultMethod: Method { config.default_sampler.flatMap(Method.init(rawValue:)) ?? .ddim }

    /// Samples one image over `steps` steps with guidance (defaults: the model's config, including its x0
    /// treatment), from noise drawn with `seed` (DDPM's per-step noise comes from the same seeded stream).
    public func generate(
        map: Tensor, seed: UInt64, steps: Int? = nil, guidance: Float? = nil, method: Method? = nil,
        onStep: ((Int) -> Void)? = nil
    ) throws -> RGBImage {
        let noise = DiffusionSampler.noise(shape: [1, 3, height, width], seed: seed)
        let count = steps ?? config.default_steps
        let settings = config.samplerSettings(guidance: guidance)
        let x: Tensor
        switch method ?? defaultMethod {
        case .ddim:
            x = try sampler.ddim(
                model, maps: map, noise: noise, count: count, guidance: settings.guidance, settings: settings
            ) {
                i, _ in onStep?(i)
            }
        case .ddpm:
            var rng = SeededGenerator(seed: seed, stream: 1)
            x = try sampler.ddpm(
                model, maps: map, noise: noise, count: count, guidance: settings.guidance, settings: settings, rng: &rng
            )
        case .dpmpp2m:
            x = try sampler.dpmSolver(model, maps: map, noise: noise, count: count, settings: settings) { i, _ in
                onStep?(i)
            }
        }
        return ImageTensor.toImage(x)
    }

    /// What generation from a guide image produced: the image, the step it started from and its network passes.
    public struct GuidedGeneration: Sendable {
        public var image: RGBImage
        public var startStep: Int
        public var passes: Int
    }

    /// The fewest passes generation from a guide runs: with 2 the generator does not restore the classes
    /// (hybrid mIoU 0.57–0.67 against 0.71–0.75 with 4 on 8 training scenes, ρ 1/6 and 1/12, 5 and 10 dB), and 6
    /// gains nothing over 4.
    public static let minimumGuidedPasses = 4

    /// The hybrid's t₀ calibration c by default: (1 − ᾱ_t₀)/ᾱ_t₀ = c·(the guide's expected error); c = 4 from the
    /// probe on training scenes (docs/softcast.md). `semcom eval --hybrid-calibration`, `semcom receive` alike.
    public static let defaultHybridCalibration = 4.0

    /// Regenerates an image from a received map starting at the step whose noise matches `guide`'s error
    /// (SDEdit with the step matched to the guide): the guide (an estimate of the image, its expected mean squared
    /// error `expectedMSE` per RGB value in 0…255 units²) noised to t₀ by the forward process, then DDIM from
    /// t₀ down over ⌈steps·(t₀ + 1)/T⌉ timesteps (at least `minimumGuidedPasses`) — fewer passes than from pure noise.
    /// - Parameter calibration: c in (1 − ᾱ_t₀)/ᾱ_t₀ = c·MSE (model scale); larger c starts earlier (more of the
    ///   map, less of the guide).
    public func generate(
        _ conditioning: GeneratorConditioning, guide: RGBImage, expectedMSE: Double, calibration: Double, seed: UInt64,
        steps: Int, guidance: Float
    ) throws -> GuidedGeneration {
        let modelScaleMSE = expectedMSE * (2.0 / 255) * (2.0 / 255)
        let t0 = sampler.matchingStep(noiseToSignal: calibration * modelScaleMSE)
        let count = min(
            steps, max(Self.minimumGuidedPasses, Int((Double(steps * (t0 + 1)) / Double(sampler.steps)).rounded(.up))))
        let timesteps = sampler.respaced(count, through: t0)
        let a = sampler.alphasCumprod[t0]
        let x0 = ImageTensor.fromImage(guide)
        let noise = DiffusionSampler.noise(shape: x0.shape, seed: seed)
        let start = Tensor(
            shape: x0.shape,
            data: (0..<x0.count).map {
                Float(a.squareRoot()) * x0.data[$0] + Float((1 - a).squareRoot()) * noise.data[$0]
            })
        let settings = config.samplerSettings(guidance: guidance)
        let x = try sampler.ddim(
            model, maps: self.conditioning(conditioning), start: start, timesteps: timesteps,
            guidance: settings.guidance, settings: settings)
        return GuidedGeneration(image: ImageTensor.toImage(x), startStep: t0, passes: timesteps.count)
    }

    /// Regenerates an image from a received map, conditioned as `conditioning` says.
    public func generate(
        _ conditioning: GeneratorConditioning, seed: UInt64, steps: Int, guidance: Float, method: Method? = nil
    ) throws -> RGBImage {
        try generate(map: self.conditioning(conditioning), seed: seed, steps: steps, guidance: guidance, method: method)
    }
}
