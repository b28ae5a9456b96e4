/// The probability model of each pixel, the same in the encoder and the decoder: which adaptive slot codes the
/// pixel, given the pixels before it. Without a prior the slot is the coarse neighbourhood context, every count
/// starting at 1. With a prior the slot is the fine context (neighbours, predicted class, band), created the
/// first time the map meets it with the prior's learned weights for it — or, for a context the prior's
/// training maps never met, those of its coarse context.
struct PixelModel {
    let symbols: Int
    private(set) var counts: AdaptiveCounts
    private let prior: MapPrior?
    private var slots: [UInt64: Int32] = [:]
    private var contexts: PixelContexts

    /// - Parameter prior: one learned for `symbols − 1` classes, or nil.
    init(symbols: Int, width: Int, height: Int, prior: MapPrior?) {
        self.symbols = symbols
        self.prior = prior
        counts =
            prior == nil
            ? AdaptiveCounts(symbols: symbols, uniformSlots: Neighbourhood.coarseCount(symbols: symbols))
            : AdaptiveCounts(symbols: symbols)
        contexts = PixelContexts(symbols: symbols, width: width, height: height, predicting: prior != nil)
        if prior != nil { slots.reserveCapacity(min(width * height, 4096)) }
    }

    /// Prepares row `y`, whose rows above are already in `ids` (symbol indices).
    mutating func startRow(_ y: Int, of ids: UnsafeBufferPointer<UInt8>) { contexts.startRow(y, of: ids) }

    /// The slot that codes pixel (x, y); `startRow(y)` came first.
    @inline(__always)
    mutating func slot(_ ids: UnsafeBufferPointer<UInt8>, x: Int, y: Int) -> Int {
        guard let prior else { return contexts.coarse(ids, x: x, y: y) }
        let (coarse, key) = contexts.both(ids, x: x, y: y)
        if let slot = slots[key] { return Int(slot) }
        let slot = prior.weights(fine: key, coarse: coarse) { counts.append(weights: $0) }
        slots[key] = Int32(slot)
        return slot
    }

    func total(_ slot: Int) -> UInt32 { counts.total(slot) }
    mutating func update(_ symbol: Int, in slot: Int) { counts.update(symbol, in: slot) }
}

/// The contexts of a map's pixels in raster order, for the coder and for learning a prior alike: the coarse
/// one, and the fine one, whose predicted class (`RowPrediction`) is made once per row.
struct PixelContexts {
    let symbols: Int
    let width: Int, height: Int
    private var prediction: [UInt8]
    private var predictor: RowPrediction

    /// - Parameter predicting: whether fine contexts are wanted (the row prediction is skipped otherwise).
    init(symbols: Int, width: Int, height: Int, predicting: Bool) {
        self.symbols = symbols
        self.width = width
        self.height = height
        prediction = [UInt8](repeating: 0, count: predicting ? width : 0)
        predictor = RowPrediction(width: predicting ? width : 0)
    }

    /// Predicts row `y` from the rows above it, already in `ids` (symbol indices).
    mutating func startRow(_ y: Int, of ids: UnsafeBufferPointer<UInt8>) {
        guard !prediction.isEmpty else { return }
        let width = width
        let row = { (r: Int) in UnsafeBufferPointer(rebasing: ids[(r * width)..<((r + 1) * width)]) }
        let symbols = symbols
        prediction.withUnsafeMutableBufferPointer { out in
            predictor.predict(
                above: y > 0 ? row(y - 1) : nil, twoAbove: y > 1 ? row(y - 2) : nil, outside: UInt8(symbols),
                into: out)
        }
    }

    /// Pixel (x, y)'s coarse context.
    @inline(__always)
    func coarse(_ ids: UnsafeBufferPointer<UInt8>, x: Int, y: Int) -> Int {
        Neighbourhood(ids, x: x, y: y, width: width, symbols: symbols).coarse(symbols: symbols)
    }

    /// Pixel (x, y)'s coarse and fine contexts; `startRow(y)` came first.
    @inline(__always)
    func both(_ ids: UnsafeBufferPointer<UInt8>, x: Int, y: Int) -> (coarse: Int, fine: UInt64) {
        let neighbours = Neighbourhood(ids, x: x, y: y, width: width, symbols: symbols)
        return (
            neighbours.coarse(symbols: symbols),
            neighbours.fine(
                prediction: Int(prediction[x]), band: Neighbourhood.band(y: y, height: height), symbols: symbols)
        )
    }
}
