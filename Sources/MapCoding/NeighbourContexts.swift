/// Adaptive symbol counts per context of a pixel's causal neighbours: W, N, and whether NW and NE differ
/// from N. A label map is mostly large regions, so the class of W or N predicts the pixel well, and the
/// two flags tell a region's inside from its edges.
struct NeighbourContexts {
    /// Symbols: the classes and void.
    let symbols: Int
    /// Count added per coded symbol (adaptation speed).
    static let increment: UInt16 = 24
    private var counts: [UInt16]
    private var totals: [UInt32]

    /// - Parameter symbols: at most `MapCoder.maxContextSymbols`.
    init(symbols: Int) {
        self.symbols = symbols
        let contexts = Self.contextCount(symbols: symbols)
        counts = [UInt16](repeating: 1, count: contexts * symbols)
        totals = [UInt32](repeating: UInt32(symbols), count: contexts)
    }

    /// Contexts for `symbols` symbols: W and N each a symbol or "outside the map", times 4 flag pairs.
    static func contextCount(symbols: Int) -> Int { (symbols + 1) * (symbols + 1) * 4 }

    /// The context of pixel (x, y) of `ids` (symbol indices, row-major), from the pixels coded before it.
    @inline(__always)
    static func context(_ ids: UnsafeBufferPointer<UInt8>, x: Int, y: Int, width: Int, symbols: Int) -> Int {
        let outside = symbols
        let row = y * width
        let w = x > 0 ? Int(ids[row + x - 1]) : outside
        let n = y > 0 ? Int(ids[row - width + x]) : outside
        let nw = x > 0 && y > 0 ? Int(ids[row - width + x - 1]) : outside
        let ne = x + 1 < width && y > 0 ? Int(ids[row - width + x + 1]) : outside
        return ((w * (symbols + 1) + n) * 2 + (nw == n ? 0 : 1)) * 2 + (ne == n ? 0 : 1)
    }

    func total(_ context: Int) -> UInt32 { totals[context] }

    /// The cumulative count below `symbol` and its count.
    func interval(of symbol: Int, in context: Int) -> (cumulative: UInt32, frequency: UInt32) {
        let base = context * symbols
        var cumulative: UInt32 = 0
        for s in 0..<symbol { cumulative += UInt32(counts[base + s]) }
        return (cumulative, UInt32(counts[base + symbol]))
    }

    /// The symbol whose interval holds `target`, with its interval.
    func symbol(at target: UInt32, in context: Int) -> (symbol: Int, cumulative: UInt32, frequency: UInt32) {
        let base = context * symbols
        var cumulative: UInt32 = 0
        for s in 0..<(symbols - 1) {
            let frequency = UInt32(counts[base + s])
            if target < cumulative + frequency { return (s, cumulative, frequency) }
            cumulative += frequency
        }
        return (symbols - 1, cumulative, UInt32(counts[base + symbols - 1]))
    }

    /// Counts `symbol` in `context`, halving the context's counts before its total would pass the coder's.
    mutating func update(_ symbol: Int, in context: Int) {
        let base = context * symbols
        if totals[context] + UInt32(Self.increment) > RangeCoder.maxTotal {
            var total: UInt32 = 0
            for s in 0..<symbols {
                counts[base + s] = (counts[base + s] + 1) / 2
                total += UInt32(counts[base + s])
            }
            totals[context] = total
        }
        counts[base + symbol] += Self.increment
        totals[context] += UInt32(Self.increment)
    }
}
