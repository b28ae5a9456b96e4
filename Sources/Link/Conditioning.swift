import Imaging
import Generator
import SemanticWire
import Tensor

/// What the generator is conditioned on for a received map: the receiver's rule, shared by
/// `semcom receive` and `semcom eval`, matching how the model was trained.
///
/// A map the receiver passed through FDS (`--denoiser fds`, or `fds-auto` on noisy symbols) conditions
/// the generator as its received symbols after FDS (3×3 average then 3×3 max), scattered into the class
/// list with absent classes zero — the training pipeline for noisy maps; any other map (digital, analog
/// decided by the Potts denoiser, or raw) as the one-hot of the decided labels — the training pipeline
/// for clean maps.
public enum GeneratorConditioning: Sendable {
    /// The one-hot of a decided label map.
    case labels(LabelMap)
    /// Soft planes: `values` (plane-major), the class of each plane, and the planes' height and width.
    case planes(values: [Float], classes: [UInt8], height: Int, width: Int)

    /// Whether these are noisy soft planes (for logs: `fds-planes`) rather than a one-hot map.
    public var isSoftPlanes: Bool {
        if case .planes = self { return true }
        return false
    }
}

extension ImageGenerator {
    /// The generator's input tensor for `conditioning`.
    public func conditioning(_ conditioning: GeneratorConditioning) -> Tensor {
        switch conditioning {
        case .labels(let labels): self.conditioning(labels: labels)
        case .planes(let values, let classes, let height, let width):
            self.conditioning(planes: values, classes: classes, planeHeight: height, planeWidth: width)
        }
    }

    /// Regenerates an image from a received map, conditioned as `conditioning` says.
    public func generate(
        _ conditioning: GeneratorConditioning, seed: UInt64, steps: Int, guidance: Float, method: Method? = nil
    ) throws -> RGBImage {
        try generate(map: self.conditioning(conditioning), seed: seed, steps: steps, guidance: guidance, method: method)
    }
}
