import ChannelModels
import Dispatch
import Foundation
import Generator
import Imaging
import Logging
import Randomness
import SemanticWire
import Tensor

/// The receiver's generator: regenerates `NAME.png` from each received map with the SPADE
/// diffusion U-Net (DDIM with classifier-free guidance), on a thread of its own so the
/// receiver's event loops and tasks keep reading, acknowledging and logging meanwhile.
///
/// The conditioning follows the receiver's denoiser and matches how the model was trained: a map
/// the receiver passed through FDS (`--denoiser fds`, or `fds-auto` on noisy symbols) conditions
/// the generator as its received symbols after FDS (3×3 average then 3×3 max), scattered into the
/// class list with absent classes zero — the training pipeline for noisy maps; any other map
/// (digital, analog decided by the Potts denoiser, or raw) as the one-hot of the decided labels —
/// the training pipeline for clean maps.
public final class DiffusionStage: ReconstructionStage, @unchecked Sendable {
    public let generator: ImageGenerator
    public let steps: Int
    public let guidance: Float
    public let seed: UInt64
    public let method: ImageGenerator.Method
    private let queue = DispatchQueue(label: "semcom.generator", qos: .userInitiated)

    public init(generator: ImageGenerator, steps: Int?, guidance: Float?, seed: UInt64, method: ImageGenerator.Method = .ddim) {
        self.generator = generator
        self.method = method
        self.steps = steps ?? generator.config.default_steps
        self.guidance = guidance ?? Float(generator.config.default_guidance)
        self.seed = seed
    }

    public var name: String { "diffusion" }
    public var writesImages: Bool { true }

    /// The generator's conditioning for a received map.
    public func conditioning(for map: ReceivedMap) -> (map: GeneratorInput, noisy: Bool) {
        if let symbols = map.receivedSymbols, map.denoising == .fds, !symbols.classes.isEmpty {
            let planes = ClassPlanes(channels: symbols.classes.count, height: symbols.planeHeight,
                                     width: symbols.planeWidth, values: symbols.values)
            let denoised = FastDenoisingSemantic.apply(planes)
            return (.planes(denoised.values, symbols.classes, symbols.planeHeight, symbols.planeWidth), true)
        }
        return (.labels(map.labels), false)
    }

    public enum GeneratorInput: Sendable {
        case labels(LabelMap)
        case planes([Float], [UInt8], Int, Int)
    }

    public func reconstruct(_ map: ReceivedMap, logger: Logger) async throws {
        let (input, noisy) = conditioning(for: map)
        let frameSeed = SeededGenerator.mix(seed, map.frameID)
        let start = DispatchTime.now()
        let image: RGBImage = try await withCheckedThrowingContinuation { continuation in
            queue.async { [generator, steps, guidance, method] in
                do {
                    let tensor: Tensor
                    switch input {
                    case .labels(let labels): tensor = generator.conditioning(labels: labels)
                    case .planes(let values, let classes, let h, let w):
                        tensor = generator.conditioning(planes: values, classes: classes, planeHeight: h, planeWidth: w)
                    }
                    continuation.resume(returning: try generator.generate(map: tensor, seed: frameSeed, steps: steps, guidance: guidance, method: method))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        try PNG.write(image, to: map.files.reconstructionPath)
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        logger.info("image generated", metadata: [
            "frame.id": .stringConvertible(map.frameID), "frame.name": "\(map.name)", "file": "\(map.files.reconstructionPath)",
            "generator.steps": .stringConvertible(steps), "generator.guidance": .stringConvertible(guidance), "generator.seed": .stringConvertible(frameSeed),
            "generator.conditioning": "\(noisy ? "fds-planes" : "one-hot")",
            "duration_ms": .stringConvertible(Int(ms.rounded())),
        ])
    }
}

