import Randomness

/// Rayleigh block fading for the analog (GESCO) link: real symbols travel in pairs as the I and Q parts of one
/// complex channel use (an odd last symbol is paired with a 0), meet y = h·x + n with h ~ CN(0, 1) per block
/// of `coherence` uses and noise of σ² per real dimension (σ from the `AWGNChannel`'s convention, so PSNR and
/// Es/N0 keep their meaning), are equalised (ZF or MMSE with perfect or pilot CSI, see `RadioChannel`) and
/// are unpaired again. MMSE output is left biased (it is the MMSE estimate of the symbol), ZF's is unbiased.
public struct AnalogFadingChannel: Sendable, Hashable {
    public let noise: AWGNChannel
    public let radio: RadioChannel

    public init(noise: AWGNChannel, radio: RadioChannel) {
        self.noise = noise
        self.radio = radio
    }

    /// What one application did.
    public struct Statistics: Sendable, Hashable {
        public var symbolCount: Int
        /// Mean square of the real symbols sent.
        public var signalPower: Double
        /// Noise standard deviation per real dimension, before equalisation.
        public var noiseStd: Double
        /// Complex channel uses, pilots included.
        public var channelUses: Int
        public var fadingBlocks: Int
        /// Signal power over the mean square error of the equalised symbols, dB (nil when undefined).
        public var effectiveSNRDB: Double?
    }

    /// Applies fading, noise and equalisation to `symbols` in place.
    public func apply(to symbols: inout [Float], using rng: inout SeededGenerator) -> Statistics {
        applyReportingChannel(to: &symbols, using: &rng).statistics
    }

    /// As `apply`, also returning what a receiver knowing its channel knows of each real symbol: the
    /// equaliser's gain and the noise variance per real dimension after it (z = g·x + w, both I and Q alike).
    public func applyReportingChannel(to symbols: inout [Float], using rng: inout SeededGenerator) -> (
        statistics: Statistics, gains: [Float], noiseVariances: [Float]
    ) {
        let n = symbols.count
        var energy = 0.0
        for x in symbols { energy += Double(x) * Double(x) }
        let power = n > 0 ? energy / Double(n) : 0
        let sigma = noise.noiseStd(signalPower: power)
        var complex = [ComplexSymbol](repeating: .zero, count: (n + 1) / 2)
        for i in 0..<complex.count {
            complex[i] = ComplexSymbol(symbols[2 * i], 2 * i + 1 < n ? symbols[2 * i + 1] : 0)
        }
        // Es = 2·P̄ per complex use; a signal of zero power still gets a tiny Es so MMSE stays defined.
        let output = radio.transmit(
            complex, noiseDensity: 2 * sigma * sigma, symbolEnergy: max(2 * power, 1e-12), using: &rng)
        var errorEnergy = 0.0
        for i in 0..<complex.count {
            let z = output.equalized.symbols[i]
            let a = Double(z.re) - Double(symbols[2 * i])
            errorEnergy += a * a
            symbols[2 * i] = z.re
            if 2 * i + 1 < n {
                let b = Double(z.im) - Double(symbols[2 * i + 1])
                errorEnergy += b * b
                symbols[2 * i + 1] = z.im
            }
        }
        let mse = n > 0 ? errorEnergy / Double(n) : 0
        let snr = ChannelConventions.decibels(fromLinear: power / mse)
        let statistics = Statistics(
            symbolCount: n, signalPower: power, noiseStd: sigma, channelUses: output.channelUses,
            fadingBlocks: output.fadingBlocks, effectiveSNRDB: snr.isFinite ? snr : nil)
        let gains = (0..<n).map { output.equalized.gains[$0 / 2] }
        let noiseVariances = (0..<n).map { output.equalized.noiseVariances[$0 / 2] }
        return (statistics, gains, noiseVariances)
    }
}
