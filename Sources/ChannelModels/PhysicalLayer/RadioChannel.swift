import Randomness

/// The small-scale fading of a radio link.
public enum Fading: Sendable, Hashable, Codable {
    /// None: y = x + n.
    case none
    /// Rayleigh block fading: y = h·x + n, h ~ CN(0, 1) drawn anew every `coherence` complex channel uses
    /// (pilots included) and constant within a block.
    case rayleighBlock(coherence: Int)

    /// `none` or `rayleigh`.
    public var name: String {
        switch self {
        case .none: "none"
        case .rayleighBlock: "rayleigh"
        }
    }

    /// The coherence block in channel uses, 0 without fading.
    public var coherence: Int {
        switch self {
        case .none: 0
        case .rayleighBlock(let c): c
        }
    }
}

/// A complex baseband link: optional Rayleigh block fading, AWGN, and a one-tap equaliser fed with perfect or
/// pilot-estimated CSI. Noise follows the Es/N0 convention (docs/DESIGN.md): N0 = Es·10^(−Es/N0/10), N0/2 of
/// variance per real dimension, Es the average symbol energy (1 for `Modulation` constellations).
public struct RadioChannel: Sendable, Hashable {
    public var fading: Fading
    public var equalizer: Equalizer
    public var csi: ChannelStateInformation

    public init(fading: Fading = .none, equalizer: Equalizer = .mmse, csi: ChannelStateInformation = .perfect) {
        precondition(fading.coherence >= 0, "coherence must not be negative")
        if case .pilots(let p) = csi, case .rayleighBlock(let c) = fading {
            precondition(p >= 1 && p < c, "pilots per block must be at least 1 and leave room for data")
        }
        self.fading = fading
        self.equalizer = equalizer
        self.csi = csi
    }

    /// Pilot symbols per fading block (0 without fading or with perfect CSI).
    public var pilotsPerBlock: Int {
        if case .pilots(let p) = csi, case .rayleighBlock = fading { return p }
        return 0
    }

    /// Complex channel uses needed to carry `dataSymbols` symbols, pilots included.
    public func channelUses(dataSymbols: Int) -> Int {
        let p = pilotsPerBlock
        guard p > 0, dataSymbols > 0 else { return dataSymbols }
        let perBlock = fading.coherence - p
        let blocks = (dataSymbols + perBlock - 1) / perBlock
        return dataSymbols + blocks * p
    }

    /// What crossed the channel.
    public struct Output: Sendable {
        /// The equalised data symbols (pilots removed).
        public var equalized: EqualizedSymbols
        /// Complex channel uses, pilots included.
        public var channelUses: Int
        /// Of which pilots.
        public var pilotUses: Int
        /// Fading blocks drawn (0 without fading).
        public var fadingBlocks: Int
    }

    /// Sends `symbols` at Es/N0 `esN0DB` (symbol energy `symbolEnergy`, 1 for the standard constellations).
    public func transmit(
        _ symbols: [ComplexSymbol], esN0DB: Double, symbolEnergy: Double = 1, using rng: inout SeededGenerator
    ) -> Output {
        let n0 = symbolEnergy * ChannelConventions.linear(fromDecibels: -esN0DB)
        return transmit(symbols, noiseDensity: n0, symbolEnergy: symbolEnergy, using: &rng)
    }

    /// Sends `symbols` with noise density `noiseDensity` (N0: variance N0/2 per real dimension).
    public func transmit(
        _ symbols: [ComplexSymbol], noiseDensity n0: Double, symbolEnergy: Double, using rng: inout SeededGenerator
    ) -> Output {
        let n = symbols.count
        let sigma = Float((n0 / 2).squareRoot())
        let n0f = Float(n0), es = Float(symbolEnergy)
        var z = [ComplexSymbol](repeating: .zero, count: n)
        var gains = [Float](repeating: 1, count: n)
        var variances = [Float](repeating: Float(n0 / 2), count: n)
        let coherence = fading.coherence
        let pilots = pilotsPerBlock
        // Data symbols per fading block; the whole frame is one "block" without fading.
        let dataPerBlock = coherence > 0 ? coherence - pilots : max(n, 1)
        var blocks = 0
        var noise = [Double](repeating: 0, count: 2 * (dataPerBlock + pilots) + 2)
        symbols.withUnsafeBufferPointer { x in
            noise.withUnsafeMutableBufferPointer { noise in
                var start = 0
                while start < n {
                    let m = min(dataPerBlock, n - start)
                    var h = ComplexSymbol(1, 0)
                    if coherence > 0 {
                        blocks += 1
                        // h ~ CN(0, 1): each part N(0, 1/2).
                        let hb = UnsafeMutableBufferPointer(rebasing: noise[0..<2])
                        GaussianNoise.fillStandardNormal(hb, using: &rng)
                        h = ComplexSymbol(Float(hb[0] * 0.5.squareRoot()), Float(hb[1] * 0.5.squareRoot()))
                    }
                    let draws = UnsafeMutableBufferPointer(rebasing: noise[0..<(2 * (m + pilots))])
                    GaussianNoise.fillStandardNormal(draws, using: &rng)
                    // Channel estimate: the truth, or the mean of y_p / x_p over the pilots (x_p = √Es).
                    var estimate = h
                    if pilots > 0 {
                        let amplitude = es.squareRoot()
                        var sum = ComplexSymbol.zero
                        for p in 0..<pilots {
                            let y =
                                h * amplitude
                                + ComplexSymbol(sigma * Float(draws[2 * p]), sigma * Float(draws[2 * p + 1]))
                            sum = sum + y
                        }
                        estimate = sum * (1 / (Float(pilots) * amplitude))
                    }
                    let offset = 2 * pilots
                    if coherence == 0 {
                        // AWGN only: the hot path, no equaliser arithmetic.
                        for j in 0..<m {
                            let s = x[start + j]
                            z[start + j] = ComplexSymbol(
                                s.re + sigma * Float(draws[offset + 2 * j]),
                                s.im + sigma * Float(draws[offset + 2 * j + 1]))
                        }
                    } else {
                        for j in 0..<m {
                            let y =
                                h * x[start + j]
                                + ComplexSymbol(
                                    sigma * Float(draws[offset + 2 * j]), sigma * Float(draws[offset + 2 * j + 1]))
                            let e = equalizer.equalize(y, h: estimate, n0: n0f, es: es)
                            z[start + j] = e.z
                            gains[start + j] = e.gain
                            variances[start + j] = e.variance
                        }
                    }
                    start += m
                }
            }
        }
        let uses = channelUses(dataSymbols: n)
        return Output(
            equalized: EqualizedSymbols(symbols: z, gains: gains, noiseVariances: variances),
            channelUses: uses, pilotUses: uses - n, fadingBlocks: blocks)
    }
}
