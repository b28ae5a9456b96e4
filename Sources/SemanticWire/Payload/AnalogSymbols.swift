/// GESCO's analog map: one plane of real-valued symbols per present class, K × H' × W', plane-major,
/// row-major within a plane. As sent, a symbol is 1 where the block's class is the plane's class and 0
/// elsewhere (void blocks are 0 in every plane); after a channel, the values are noisy.
public struct AnalogSymbols: Sendable, Equatable {
    /// The class of each plane, strictly ascending.
    public var classes: [UInt8]
    /// Plane width in symbols, ⌈map width / downsample⌉.
    public let planeWidth: Int
    /// Plane height in symbols, ⌈map height / downsample⌉.
    public let planeHeight: Int
    /// Pixels per block side (`AnalogLayout.factors`).
    public let downsample: Int
    /// `classes.count · planeHeight · planeWidth` symbols.
    public var values: [Float]

    public init(classes: [UInt8], planeWidth: Int, planeHeight: Int, downsample: Int, values: [Float]) {
        precondition(values.count == classes.count * planeWidth * planeHeight, "symbol count must be K·H'·W'")
        self.classes = classes
        self.planeWidth = planeWidth
        self.planeHeight = planeHeight
        self.downsample = downsample
        self.values = values
    }

    /// Symbols per plane, H'·W'.
    public var planeSize: Int { planeWidth * planeHeight }

    /// The ids these symbols decide for a `width`×`height` map, row-major: each pixel takes its block's
    /// symbols (nearest upsampling), the class of the largest one, or void when no plane reaches
    /// `threshold` (or K = 0). Ties go to the lower class id.
    public func decidedIDs(width: Int, height: Int, threshold: Float = 0.5) -> [UInt8] {
        var ids = [UInt8](repeating: WireProtocol.voidID, count: width * height)
        guard !classes.isEmpty else { return ids }
        for y in 0..<height {
            let row = (y / downsample) * planeWidth
            for x in 0..<width {
                let symbol = row + x / downsample
                var best = 0
                var bestValue = values[symbol]
                for k in 1..<classes.count where values[k * planeSize + symbol] > bestValue {
                    best = k
                    bestValue = values[k * planeSize + symbol]
                }
                if bestValue >= threshold { ids[y * width + x] = classes[best] }
            }
        }
        return ids
    }
}
