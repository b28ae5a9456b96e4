/// What the generator is conditioned on for a received map: the one-hot of a decided label map, or soft
/// class planes. The rule choosing between them is the receiver's (`MapDecision` in `Link`, shared by
/// `semcom receive` and `semcom eval`); the generator turns either into its input tensor
/// (`ImageGenerator.conditioning(_:)`). It lives here, below both, so that neither imports the other.
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
