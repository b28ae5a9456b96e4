/// A semantic map: one class id per pixel, row-major. In the Cityscapes label space the
/// ids are train ids 0…18 and `LabelMap.void` (255) marks pixels to ignore.
public struct LabelMap: Equatable, Sendable {
    /// The id of pixels that belong to no class (ignored by losses and metrics).
    public static let void: UInt8 = 255

    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height` class ids, row-major.
    public var ids: [UInt8]

    public init(width: Int, height: Int, ids: [UInt8]) {
        precondition(width > 0 && height > 0, "label map size must be positive")
        precondition(ids.count == width * height, "label buffer must hold width*height ids")
        self.width = width
        self.height = height
        self.ids = ids
    }

    public init(width: Int, height: Int, fill: UInt8 = LabelMap.void) {
        self.init(width: width, height: height, ids: [UInt8](repeating: fill, count: width * height))
    }

    public subscript(x: Int, y: Int) -> UInt8 {
        get { ids[y * width + x] }
        set { ids[y * width + x] = newValue }
    }

    /// The distinct ids present, ascending (void included if present).
    public var presentIDs: [UInt8] {
        var seen = [Bool](repeating: false, count: 256)
        for id in ids { seen[Int(id)] = true }
        return (0..<256).filter { seen[$0] }.map { UInt8($0) }
    }

    /// Throws unless every id is a valid class (`< classCount`) or void.
    public func validate(classCount: Int, source: String) throws {
        if let bad = ids.first(where: { Int($0) >= classCount && $0 != LabelMap.void }) {
            throw ImagingError(
                "\(source): label id \(bad) is outside 0…\(classCount - 1) and is not void (255)")
        }
    }
}
