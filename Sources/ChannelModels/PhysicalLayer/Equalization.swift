/// How a receiver undoes a flat channel gain h on y = h·x + n.
public enum Equalizer: String, Sendable, Hashable, CaseIterable, Codable {
    /// Zero forcing: z = y·h*/|h|², so z = x + n/h (noise enhanced by 1/|h|² in deep fades).
    case zf
    /// Linear MMSE: z = y·h*/(|h|² + N0/Es); biased (z = g·x + w, g = |h|²/(|h|² + N0/Es) < 1) but never
    /// amplifies noise without bound. For one tap and a bias-aware demapper the LLRs equal ZF's; hard
    /// decisions on QAM are taken on z/g (unbiased).
    case mmse
}

/// What the receiver knows about h.
public enum ChannelStateInformation: Sendable, Hashable, Codable {
    /// The true h of every block (genie CSI).
    case perfect
    /// h estimated per fading block from `count` known pilot symbols sent at the start of the block
    /// (x_p = √Es), ĥ = mean(y_p / x_p); the pilots cost `count` channel uses per block and the
    /// estimation error is not modelled in the demapper (it treats ĥ as exact: mismatched decoding).
    case pilots(count: Int)

    /// `perfect` or `pilots` (for logs).
    public var name: String {
        switch self {
        case .perfect: "perfect"
        case .pilots(let n): "pilots(\(n))"
        }
    }
}

/// Symbols after equalisation, ready for the soft demapper: z_i = g_i·x_i + w_i with w_i of variance
/// `noiseVariances[i]` per real dimension.
public struct EqualizedSymbols: Sendable {
    /// The equalised symbols z.
    public var symbols: [ComplexSymbol]
    /// The real gain g per symbol (1 after ZF or without fading).
    public var gains: [Float]
    /// The noise variance per real dimension after equalisation, per symbol.
    public var noiseVariances: [Float]

    public init(symbols: [ComplexSymbol], gains: [Float], noiseVariances: [Float]) {
        precondition(
            symbols.count == gains.count && gains.count == noiseVariances.count, "one gain and variance per symbol")
        self.symbols = symbols
        self.gains = gains
        self.noiseVariances = noiseVariances
    }

    /// Hard decisions: the nearest constellation point to z/g (the unbiased estimate).
    public func hardDecisions(_ modulation: Modulation) -> [UInt8] {
        var unbiased = symbols
        for i in unbiased.indices where gains[i] > 0 { unbiased[i] = unbiased[i] * (1 / gains[i]) }
        return modulation.slice(unbiased)
    }
}

extension Equalizer {
    /// Equalises one block with channel estimate `h`: noise variance `n0` per complex use, symbol energy `es`.
    /// Writes z, g and the per-dimension noise variance.
    @inline(__always)
    func equalize(
        _ y: ComplexSymbol, h: ComplexSymbol, n0: Float, es: Float
    ) -> (z: ComplexSymbol, gain: Float, variance: Float) {
        let h2 = h.squaredMagnitude
        switch self {
        case .zf:
            let inv = h2 > 0 ? 1 / h2 : 0
            return (y * h.conjugate * inv, 1, h2 > 0 ? 0.5 * n0 * inv : .infinity)
        case .mmse:
            let denominator = h2 + n0 / es
            guard denominator > 0 else { return (.zero, 0, .infinity) }
            let c = 1 / denominator
            return (y * h.conjugate * c, h2 * c, 0.5 * n0 * h2 * c * c)
        }
    }
}
