import ArgumentParser
import Daemons
import Foundation
import Generator
import Imaging
import Logging
import Randomness

/// The generator settings shared by `semcom receive` and `semcom generate`.
struct GenerationOptions: ParsableArguments {
    @Option(help: "Generator model folder (config.json + model.safetensors); default: the shipped model.")
    var model: String?
    @Option(
        help:
            "Sampler: dpmpp2m (DPM-Solver++ 2M, few steps), ddim (deterministic) or ddpm (ancestral; GESCO uses 1000 steps); default: the model's."
    )
    var sampler: ImageGenerator.Method?
    @Option(help: "Denoising steps, respaced over the 1000 of training (default: the model's, 12).") var steps: Int?
    @Option(help: "Classifier-free guidance scale (default: the model's).") var guidance: Float?
    @Option(help: "Seed of the diffusion noise (each image mixes in its frame id).") var seed: UInt64 = 1
    @OptionGroup(title: "Engine") var engine: EngineOptions

    func validate() throws {
        if let steps, steps < 1 || steps > 1000 { throw ValidationError("--steps must be 1…1000") }
        if let guidance, !(guidance.isFinite && guidance >= 0) { throw ValidationError("--guidance must be ≥ 0") }
    }

    func loadGenerator() throws -> ImageGenerator {
        engine.apply()
        return try ImageGenerator(folder: try ModelLocator.folder(model, kind: "generator"))
    }

    func stage(logger: Logger, hybridCalibration: Double = ImageGenerator.defaultHybridCalibration) throws
        -> DiffusionStage
    {
        let generator = try loadGenerator()
        let stage = DiffusionStage(
            generator: generator, steps: steps, guidance: guidance, seed: seed, method: sampler,
            hybridCalibration: hybridCalibration)
        logger.info(
            "generator loaded",
            metadata: [
                "generator.size": "\(generator.height)x\(generator.width)", "generator.steps": "\(stage.steps)",
                "generator.guidance": "\(stage.guidance)",
            ])
        return stage
    }
}

extension ImageGenerator.Method: ExpressibleByArgument {}

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate an image from a label map (8-bit Cityscapes train ids).")

    @Option(help: "Label map PNG (8-bit grey, train ids, 255 void).") var labels: String
    @Option(help: "Output PNG.") var out: String
    @OptionGroup var generation: GenerationOptions

    func run() throws {
        let map = try PNG.readLabels(path: labels)
        try map.validate(classCount: Cityscapes.classCount, source: labels)
        let generator = try generation.loadGenerator()
        let start = Date()
        let image = try generator.generate(
            map: generator.conditioning(labels: map), seed: generation.seed,
            steps: generation.steps, guidance: generation.guidance, method: generation.sampler)
        try PNG.write(image, to: out)
        print(
            "wrote \(out) (\(image.width)x\(image.height)) in \(String(format: "%.2f", Date().timeIntervalSince(start))) s"
        )
    }
}

struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment", abstract: "Segment an RGB image into a label map (Cityscapes train ids).")

    @Argument(help: "RGB PNG image.") var image: String
    @Option(help: "Output label map PNG (8-bit train ids).") var out: String
    @Option(help: "Also write the colour-coded map here.") var color: String?
    @Option(help: "Segmenter model folder; default: the shipped model.") var model: String?

    func run() throws {
        let segmenter = SegmenterLabels(
            segmenter: try Segmenter(folder: try ModelLocator.folder(model, kind: "segmenter")))
        let labels = try segmenter.labels(of: try PNG.readRGB(path: image))
        try PNG.write(labels, to: out)
        if let color { try PNG.write(Cityscapes.colorize(labels), to: color) }
        print("wrote \(out) (\(labels.width)x\(labels.height))")
    }
}
