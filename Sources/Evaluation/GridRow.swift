import Imaging

/// One image at one budget and SNR (the first channel seed), for the report's grids: the original, the sent map, the analog receiver's maps
/// (raw, and as decided after the receiver's denoiser) and every mode's output (nil: lost, or the mode was not run).
public struct GridRow: Sendable {
    public var image: String
    /// The budget's label (`none`, `1/12`).
    public var budget: String = "none"
    public var snrDB: Double
    public var original: RGBImage
    /// Colour-coded maps (Cityscapes palette).
    public var sent: RGBImage
    public var received: RGBImage?
    public var decided: RGBImage?
    public var outputs: [TransmissionMode: RGBImage] = [:]

    public init(image: String, snrDB: Double, original: RGBImage, sent: RGBImage) {
        self.image = image
        self.snrDB = snrDB
        self.original = original
        self.sent = sent
    }

    /// The tiles in grid order with their captions; nil tiles are shown as "lost" / "—".
    public func tiles(modes: [TransmissionMode]) -> [(caption: String, image: RGBImage?)] {
        var tiles: [(String, RGBImage?)] = [("original", original), ("sent map", sent)]
        if modes.contains(.analog) {
            tiles += [("received map (analog, raw)", received), ("decided map (receiver's denoiser)", decided)]
        }
        for mode in modes { tiles.append((Self.caption(mode), outputs[mode])) }
        return tiles
    }

    /// A mode's tile caption.
    static func caption(_ mode: TransmissionMode) -> String {
        switch mode {
        case .analog: "reconstruction (analog)"
        case .digital: "reconstruction (digital)"
        case .digitalContext: "reconstruction (digital, context-coded map)"
        case .classicalAnalog: "classical analog"
        case .separationBound: "separation bound"
        default: mode.rawValue
        }
    }
}
