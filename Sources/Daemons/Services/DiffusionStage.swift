import Dispatch
import Foundation
import Generator
import Imaging
import Link
import Logging
import Randomness
import SemanticWire

/// The receiver's generator: regenerates `NAME.png` from each received map with the SPADE
/// diffusion U-Net (DDIM with classifier-free guidance, conditioned by `GeneratorConditioning`'s rule),
/// on a thread of its own so the receiver's event loops and tasks keep reading, acknowledging and
/// logging meanwhile.
public final class DiffusionStage: ReconstructionStage, @unchecked Sendable {
    public let generator: ImageGenerator
    public let steps: Int
    public let guidance: Float
    public let seed: UInt64
    public let method: ImageGenerator.Method
    /// The hybrid's t₀ calibration c: a guided frame's generation starts where (1 − ᾱ)/ᾱ = c·(the guide's
    /// expected error), as `semcom eval --hybrid-calibration`.
    public let hybridCalibration: Double
    private let queue = DispatchQueue(label: "semcom.generator", qos: .userInitiated)

    /// nil settings are the model's defaults (its config).
    public init(
        generator: ImageGenerator, steps: Int?, guidance: Float?, seed: UInt64, method: ImageGenerator.Method? = nil,
        hybridCalibration: Double = ImageGenerator.defaultHybridCalibration
    ) {
        self.hybridCalibration = hybridCalibration
        self.generator = generator
        self.method = method ?? generator.defaultMethod
        self.steps = steps ?? generator.config.default_steps
        self.guidance = guidance ?? Float(generator.config.default_guidance)
        self.seed = seed
    }

    public var name: String { "diffusion" }
    public var writesImages: Bool { true }

    public func reconstruct(_ map: ReceivedMap, logger: Logger) async throws {
        let input = map.conditioning
        let frameSeed = MapDecision.generatorSeed(seed, frameID: map.frameID)
        let start = DispatchTime.now()
        let guide = map.guide
        let calibration = hybridCalibration
        let (image, guided): (RGBImage, ImageGenerator.GuidedGeneration?) =
            try await withCheckedThrowingContinuation { continuation in
                queue.async { [generator, steps, guidance, method] in
                    continuation.resume(
                        with: Result {
                            if let guide {
                                let generated = try generator.generate(
                                    input, guide: guide.image, expectedMSE: guide.expectedMSE,
                                    calibration: calibration, seed: frameSeed, steps: steps, guidance: guidance)
                                return (generated.image, generated)
                            }
                            return (
                                try generator.generate(
                                    input, seed: frameSeed, steps: steps, guidance: guidance, method: method), nil
                            )
                        })
                }
            }
        try PNG.write(image, to: map.files.reconstructionPath)
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        var event = FrameEvent(.generated, frameID: map.frameID, name: map.name)
        event.durationMS = ms
        event.context = [
            "file": "\(map.files.reconstructionPath)", "generator.sampler": "\(method)",
            "generator.steps": .stringConvertible(steps), "generator.guidance": .stringConvertible(guidance),
            "generator.seed": .stringConvertible(frameSeed),
            "generator.conditioning": "\(input.isSoftPlanes ? "fds-planes" : "one-hot")",
        ]
        if let guided {
            event.context["generator.start_step"] = .stringConvertible(guided.startStep)
            event.context["generator.passes"] = .stringConvertible(guided.passes)
            event.context["generator.guide"] = "softcast"
        }
        logger.emit(event)
    }
}
