/// A pixel's causal neighbours — those coded before it in raster order — and the contexts made of them. A label
/// map is mostly large regions, so the class of W or N predicts a pixel well; whether NW and NE differ from N
/// tells a region's inside from its edges. Symbols are class ids with void last; a neighbour outside the map is
/// the extra value `symbols`.
struct Neighbourhood {
    /// West, north, north-west, north-east and west-of-west, as symbol indices or `symbols` outside the map.
    let w: Int, n: Int, nw: Int, ne: Int, ww: Int

    @inline(__always)
    init(_ ids: UnsafeBufferPointer<UInt8>, x: Int, y: Int, width: Int, symbols: Int) {
        let row = y * width
        w = x > 0 ? Int(ids[row + x - 1]) : symbols
        ww = x > 1 ? Int(ids[row + x - 2]) : symbols
        n = y > 0 ? Int(ids[row - width + x]) : symbols
        nw = x > 0 && y > 0 ? Int(ids[row - width + x - 1]) : symbols
        ne = x + 1 < width && y > 0 ? Int(ids[row - width + x + 1]) : symbols
    }

    /// Contexts of the model without a prior: W and N each a symbol or outside, times the two flags.
    static func coarseCount(symbols: Int) -> Int { (symbols + 1) * (symbols + 1) * 4 }

    /// The context without a prior (and the prior's fallback): W, N, NW ≠ N, NE ≠ N.
    @inline(__always)
    func coarse(symbols: Int) -> Int {
        ((w * (symbols + 1) + n) * 2 + (nw == n ? 0 : 1)) * 2 + (ne == n ? 0 : 1)
    }

    /// Horizontal bands of the map the prior's contexts tell apart (sky sits high, road low).
    static let bands = 8

    /// The prior's context: W, N, NW, NE and the predicted class (`RowPrediction`) in full, whether WW ≠ W, and
    /// the pixel's band. Too many to hold densely; the prior lists those its training maps met.
    @inline(__always)
    func fine(prediction: Int, band: Int, symbols: Int) -> UInt64 {
        let radix = UInt64(symbols + 1)
        var key = UInt64(w) * radix + UInt64(n)
        key = key * radix + UInt64(nw)
        key = key * radix + UInt64(ne)
        key = key * radix + UInt64(prediction)
        key = key * 2 + (ww == w ? 0 : 1)
        return key * UInt64(Self.bands) + UInt64(band)
    }

    /// The band of row `y` of a map `height` rows high.
    @inline(__always)
    static func band(y: Int, height: Int) -> Int { y * bands / height }
}

/// Adaptive symbol counts per context slot, as the range coder needs them: a slot's counts grow by
/// `increment` per coded symbol and are halved before their total would pass the coder's limit.
struct AdaptiveCounts {
    /// Symbols per slot: the classes and void.
    let symbols: Int
    /// Count added per coded symbol (adaptation speed).
    static let increment: UInt16 = 24
    private var counts: [UInt16] = []
    private var totals: [UInt32] = []

    init(symbols: Int) { self.symbols = symbols }

    /// `slots` slots, every count 1.
    init(symbols: Int, uniformSlots slots: Int) {
        self.symbols = symbols
        counts = [UInt16](repeating: 1, count: slots * symbols)
        totals = [UInt32](repeating: UInt32(symbols), count: slots)
    }

    var slotCount: Int { totals.count }

    /// Adds a slot whose counts start at `1 + increment × weight[s]` (a prior's quantised weights, each ≤ 255,
    /// so the total stays far below the coder's limit); returns its index.
    mutating func append(weights: UnsafeBufferPointer<UInt8>) -> Int {
        var total: UInt32 = 0
        for s in 0..<symbols {
            let count = 1 + UInt16(weights[s]) * Self.increment
            counts.append(count)
            total += UInt32(count)
        }
        totals.append(total)
        return totals.count - 1
    }

    func total(_ slot: Int) -> UInt32 { totals[slot] }

    /// The cumulative count below `symbol` and its count.
    func interval(of symbol: Int, in slot: Int) -> (cumulative: UInt32, frequency: UInt32) {
        let base = slot * symbols
        var cumulative: UInt32 = 0
        for s in 0..<symbol { cumulative += UInt32(counts[base + s]) }
        return (cumulative, UInt32(counts[base + symbol]))
    }

    /// The symbol whose interval holds `target`, with its interval.
    func symbol(at target: UInt32, in slot: Int) -> (symbol: Int, cumulative: UInt32, frequency: UInt32) {
        let base = slot * symbols
        var cumulative: UInt32 = 0
        for s in 0..<(symbols - 1) {
            let frequency = UInt32(counts[base + s])
            if target < cumulative + frequency { return (s, cumulative, frequency) }
            cumulative += frequency
        }
        return (symbols - 1, cumulative, UInt32(counts[base + symbols - 1]))
    }

    /// Counts `symbol` in `slot`, halving the slot's counts first when its total would pass the coder's limit.
    mutating func update(_ symbol: Int, in slot: Int) {
        let base = slot * symbols
        if totals[slot] + UInt32(Self.increment) > RangeCoder.maxTotal {
            var total: UInt32 = 0
            for s in 0..<symbols {
                counts[base + s] = (counts[base + s] + 1) / 2
                total += UInt32(counts[base + s])
            }
            totals[slot] = total
        }
        counts[base + symbol] += Self.increment
        totals[slot] += UInt32(Self.increment)
    }
}
