import Imaging
import Logging
import SemanticWire

/// A map the receiver accepted and wrote, handed to the reconstruction stage.
public struct ReceivedMap: Sendable {
    /// The frame's name (a validated file stem).
    public var name: String
    /// The sender's origin and frame id.
    public var origin: String
    public var frameID: UInt64
    /// The decided (and, for analog frames, denoised) label map.
    public var labels: LabelMap
    /// How the map travelled.
    public var encoding: PayloadEncoding
    /// What each relay did.
    public var hops: [HopAnnotation]
    /// The folder the frame's files are in (`OUT/ORIGIN`) and the files written for it.
    public var outputDirectory: String
    public var files: OutputNames
    /// Analog frames: the symbols as received, before denoising (after FDS the generator builds its
    /// conditioning from them the way it was trained); nil for digital frames.
    public var receivedSymbols: AnalogSymbols? = nil
    /// Analog frames: the noise σ estimated from the symbols.
    public var estimatedNoiseStd: Float? = nil
    /// The denoiser the receiver applied (its `MapDenoiser` setting and, for `fds-auto`, the noise).
    public var denoising: AppliedDenoising = .none

    public init(
        name: String, origin: String, frameID: UInt64, labels: LabelMap, encoding: PayloadEncoding,
        hops: [HopAnnotation], outputDirectory: String, files: OutputNames, receivedSymbols: AnalogSymbols? = nil,
        estimatedNoiseStd: Float? = nil, denoising: AppliedDenoising = .none
    ) {
        self.name = name
        self.origin = origin
        self.frameID = frameID
        self.labels = labels
        self.encoding = encoding
        self.hops = hops
        self.outputDirectory = outputDirectory
        self.files = files
        self.receivedSymbols = receivedSymbols
        self.estimatedNoiseStd = estimatedNoiseStd
        self.denoising = denoising
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
