import Imaging
import Link
import Logging

/// A map the receiver accepted and wrote, handed to the reconstruction stage.
public struct ReceivedMap: Sendable {
    /// The frame's name (a validated file stem), its sender's origin and frame id.
    public var name: String
    public var origin: String
    public var frameID: UInt64
    /// The decided (and, for analog frames, denoised) label map.
    public var labels: LabelMap
    /// What the generator is conditioned on (the receiver's decision made it: `MapDecision`).
    public var conditioning: GeneratorConditioning
    /// The files written for this frame (`OUT/ORIGIN/NAME.*`).
    public var files: OutputNames
    /// A layered frame's SoftCast estimate: generation starts from it instead of from noise.
    public var guide: Guide?

    public init(
        name: String, origin: String, frameID: UInt64, labels: LabelMap, conditioning: GeneratorConditioning? = nil,
        files: OutputNames, guide: Guide? = nil
    ) {
        self.name = name
        self.origin = origin
        self.frameID = frameID
        self.labels = labels
        self.conditioning = conditioning ?? .labels(labels)
        self.files = files
        self.guide = guide
    }
}

/// The image a hybrid frame's generation starts from, and its expected error.
public struct Guide: Sendable {
    /// SoftCast's LLSE estimate (stored as `NAME.layer.png`).
    public var image: RGBImage
    /// Its expected mean squared error per RGB value, 0…255 units² (stored in `NAME.layer.json`).
    public var expectedMSE: Double

    public init(image: RGBImage, expectedMSE: Double) {
        self.image = image
        self.expectedMSE = expectedMSE
    }

    /// The part stored as JSON; the image is its own file.
    public struct Info: Codable, Sendable {
        public var expectedMSE: Double
        public var noiseVariance: Double
        enum CodingKeys: String, CodingKey {
            case expectedMSE = "expected_mse"
            case noiseVariance = "noise_variance"
        }
    }
}

/// What the receiver does with a map after writing `NAME.labels.png` and `NAME.map.png`: the seam where
/// the diffusion generator plugs in (it writes `NAME.png` beside the maps).
///
/// The receiver calls it from one task of its own, fed through a bounded queue, so a slow stage never
/// blocks the event loops; when the queue is full, connections wait before acknowledging further
/// frames. Errors are logged, never fatal for the receiver.
public protocol ReconstructionStage: Sendable {
    /// A short name for logs (`maps-only`, `diffusion`).
    var name: String { get }
    /// Processes one received map.
    func reconstruct(_ map: ReceivedMap, logger: Logger) async throws
    /// Whether it writes `NAME.png` (a receiver then queues, at its start, the stored maps without one).
    var writesImages: Bool { get }
}

extension ReconstructionStage {
    public var writesImages: Bool { false }
}

/// `semcom receive --no-generate`: the maps are already written, nothing more to do.
public struct MapsOnlyStage: ReconstructionStage {
    public init() {}
    public var name: String { "maps-only" }
    public func reconstruct(_ map: ReceivedMap, logger: Logger) async throws {}
}
