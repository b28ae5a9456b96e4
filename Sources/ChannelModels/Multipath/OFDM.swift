import Randomness

/// The OFDM numerology of a link: subcarriers, cyclic prefix, spacing and the comb of pilots.
public struct OFDMSettings: Sendable, Hashable {
    /// Subcarriers N: a power of two, 64…4096.
    public var subcarriers: Int
    /// Cyclic-prefix samples; default N·144/2048 (5G NR's normal prefix, ≈ 7 %).
    public var cyclicPrefix: Int
    /// Subcarrier spacing Δf, Hz; the sample rate is N·Δf.
    public var subcarrierSpacing: Double
    /// Every `pilotSpacing`-th subcarrier of every OFDM symbol is a pilot (a comb); the rest carry data.
    public var pilotSpacing: Int

    public init(
        subcarriers: Int = 256, cyclicPrefix: Int? = nil, subcarrierSpacing: Double = 30e3, pilotSpacing: Int = 4
    ) {
        precondition(
            subcarriers >= 64 && subcarriers <= 4096 && subcarriers & (subcarriers - 1) == 0,
            "N: 64…4096, a power of two")
        precondition(pilotSpacing >= 2 && pilotSpacing <= subcarriers, "pilot spacing 2…N")
        self.subcarriers = subcarriers
        self.cyclicPrefix = cyclicPrefix ?? subcarriers * 144 / 2048
        self.subcarrierSpacing = subcarrierSpacing
        self.pilotSpacing = pilotSpacing
    }

    /// Samples per second, N·Δf.
    public var sampleRate: Double { Double(subcarriers) * subcarrierSpacing }
    /// Data subcarriers per OFDM symbol.
    public var dataSubcarriers: Int { subcarriers - (subcarriers + pilotSpacing - 1) / pilotSpacing }
    /// Complex channel uses (samples) of the OFDM symbols that carry `dataSymbols` symbols: cyclic prefix and
    /// pilots included.
    public func channelUses(dataSymbols: Int) -> Int {
        let symbols = (dataSymbols + dataSubcarriers - 1) / dataSubcarriers
        return symbols * (subcarriers + cyclicPrefix)
    }
}

/// How the receiver knows each subcarrier's channel.
public enum OFDMEstimation: String, Sendable, Hashable, CaseIterable {
    /// The true frequency response.
    case perfect
    /// Least squares on the comb's pilots (Y/X), linearly interpolated across the subcarriers between them.
    case ls
    /// Linear MMSE from the pilots' LS estimates, with the channel's frequency correlation from the model's
    /// power-delay profile and the noise level (the receiver knows both; the gains it does not):
    /// Ĥ = R_HP (R_PP + N0/Es·I)⁻¹ Ĥ_LS,P.
    case lmmse
}

/// A link of OFDM symbols through a multipath channel (`TDLFading`, or none: AWGN), equalised per subcarrier.
///
/// Transmitter: the data fill every non-pilot subcarrier, pilots are √Es; a unitary IFFT, then the cyclic prefix.
/// Channel: the taps' delays rounded to the sample period 1/(N·Δf), their gains read at the start of each OFDM
/// symbol and held for it (Doppler across OFDM symbols, no inter-carrier interference within one); the stream is
/// convolved as a whole, so a prefix shorter than the channel lets the previous symbol leak in; AWGN of N0 per
/// sample. Receiver: the prefix removed, a unitary FFT, the channel known or estimated, one-tap ZF or MMSE.
public struct OFDMLink: Sendable {
    public let settings: OFDMSettings
    /// The multipath model (nil: AWGN only).
    public let multipath: TDLModel?
    public let dopplerHz: Double
    public let equalizer: Equalizer
    public let estimation: OFDMEstimation

    public init(
        settings: OFDMSettings = OFDMSettings(), multipath: TDLModel?, dopplerHz: Double = 0,
        equalizer: Equalizer = .mmse, estimation: OFDMEstimation = .perfect
    ) {
        self.settings = settings
        self.multipath = multipath
        self.dopplerHz = dopplerHz
        self.equalizer = equalizer
        self.estimation = estimation
    }

    /// What crossed the link.
    public struct Output: Sendable {
        public var equalized: EqualizedSymbols
        /// Complex channel uses (samples), cyclic prefix and pilots included.
        public var channelUses: Int
        /// Of which cyclic-prefix samples.
        public var cyclicPrefixUses: Int
        /// Pilot subcarriers sent (their share of the OFDM symbols).
        public var pilotSubcarriers: Int
        public var ofdmSymbols: Int
    }

    /// Sends `symbols` at Es/N0 `esN0DB` per subcarrier (unit-energy constellations, `symbolEnergy` otherwise).
    public func transmit(
        _ symbols: [ComplexSymbol], esN0DB: Double, symbolEnergy: Double = 1, using rng: inout SeededGenerator
    ) -> Output {
        let n = settings.subcarriers, cp = settings.cyclicPrefix
        let pilots = Array(stride(from: 0, to: n, by: settings.pilotSpacing))  // ascending
        let data = (0..<n).filter { $0 % settings.pilotSpacing != 0 }
        let count = max(1, (symbols.count + data.count - 1) / data.count)
        let n0 = symbolEnergy * ChannelConventions.linear(fromDecibels: -esN0DB)
        let sigma = Float((n0 / 2).squareRoot()), pilotValue = Float(symbolEnergy.squareRoot())
        let fading = multipath.map { TDLFading(model: $0, dopplerHz: dopplerHz, using: &rng) }
        let sampleIndex = (multipath?.delays ?? [0]).map { Int(($0 * settings.sampleRate).rounded()) }
        let length = (sampleIndex.max() ?? 0) + 1
        var history = [ComplexSymbol](repeating: .zero, count: length)
        var out: [ComplexSymbol] = [], gains: [Float] = [], variances: [Float] = []
        out.reserveCapacity(count * data.count)
        var draws = [Double](repeating: 0, count: 2 * (n + cp))
        var lmmseFilter: LMMSEFilter?
        for s in 0..<count {
            var frequency = [ComplexSymbol](repeating: .zero, count: n)
            for k in pilots { frequency[k] = ComplexSymbol(pilotValue, 0) }
            for (j, k) in data.enumerated() where s * data.count + j < symbols.count {
                frequency[k] = symbols[s * data.count + j]
            }
            var time = frequency
            FFT.transform(&time, forward: false)
            let sent = Array(time[(n - cp)...]) + time
            // The channel's impulse response for this OFDM symbol.
            var h = [ComplexSymbol](repeating: .zero, count: length)
            if let fading {
                let t = Double(s * (n + cp)) / settings.sampleRate
                for (tap, index) in sampleIndex.enumerated() {
                    let g = fading.gain(tap: tap, at: t)
                    h[index] = h[index] + ComplexSymbol(Float(g.re), Float(g.im))
                }
            } else {
                h[0] = ComplexSymbol(1, 0)
            }
            draws.withUnsafeMutableBufferPointer { GaussianNoise.fillStandardNormal($0, using: &rng) }
            var received = [ComplexSymbol](repeating: .zero, count: n)
            for i in 0..<n {
                let sample = cp + i
                var acc = ComplexSymbol.zero
                for m in 0..<length where h[m] != .zero {
                    let source = sample - m
                    acc = acc + h[m] * (source >= 0 ? sent[source] : history[length + source])
                }
                received[i] = acc + ComplexSymbol(sigma * Float(draws[2 * i]), sigma * Float(draws[2 * i + 1]))
            }
            history = Array((history + sent).suffix(length))
            FFT.transform(&received, forward: true)
            let truth = Self.frequencyResponse(h, subcarriers: n)
            let estimate: [ComplexSymbol]
            switch estimation {
            case .perfect: estimate = truth
            case .ls:
                estimate = Self.interpolate(received, pilots: pilots, pilotValue: pilotValue, subcarriers: n)
            case .lmmse:
                let filter =
                    lmmseFilter
                    ?? LMMSEFilter(
                        pilots: pilots, subcarriers: n, sampleIndex: sampleIndex,
                        powers: multipath?.powers ?? [1], noiseToSignal: n0 / symbolEnergy)
                lmmseFilter = filter
                estimate = filter.apply(pilots.map { received[$0] * (1 / pilotValue) })
            }
            let last = min(data.count, symbols.count - s * data.count)
            for j in 0..<max(0, last) {
                let k = data[j]
                let e = equalizer.equalize(received[k], h: estimate[k], n0: Float(n0), es: Float(symbolEnergy))
                out.append(e.z)
                gains.append(e.gain)
                variances.append(e.variance)
            }
        }
        return Output(
            equalized: EqualizedSymbols(symbols: out, gains: gains, noiseVariances: variances),
            channelUses: count * (n + cp), cyclicPrefixUses: count * cp, pilotSubcarriers: count * pilots.count,
            ofdmSymbols: count)
    }

    /// H[k] = Σ_m h[m]·e^(−j2πkm/N).
    static func frequencyResponse(_ h: [ComplexSymbol], subcarriers n: Int) -> [ComplexSymbol] {
        var padded = [ComplexSymbol](repeating: .zero, count: n)
        for (m, tap) in h.enumerated() { padded[m % n] = padded[m % n] + tap }
        FFT.transform(&padded, forward: true)
        let scale = Float(n).squareRoot()  // the unitary transform's 1/√N undone
        return padded.map { $0 * scale }
    }

    /// Least squares at the pilots (Y/X), linear between neighbouring pilots, cyclically past the last.
    static func interpolate(
        _ received: [ComplexSymbol], pilots: [Int], pilotValue: Float, subcarriers n: Int
    ) -> [ComplexSymbol] {
        let at = pilots.map { received[$0] * (1 / pilotValue) }
        var estimate = [ComplexSymbol](repeating: .zero, count: n)
        for (i, k) in pilots.enumerated() {
            let next = i + 1 < pilots.count ? pilots[i + 1] : pilots[0] + n
            let a = at[i], b = at[(i + 1) % pilots.count]
            for j in k..<next {
                let w = Float(j - k) / Float(next - k)
                estimate[j % n] = a * (1 - w) + b * w
            }
        }
        return estimate
    }
}

/// The LMMSE interpolation filter of a comb: W = R_HP (R_PP + γ⁻¹·I)⁻¹, from the frequency correlation
/// r(Δk) = Σ_l p_l·e^(−j2π·Δk·m_l/N) of taps of mean power p_l at sample delays m_l.
struct LMMSEFilter {
    /// Row k: the weights of the pilots' LS estimates for subcarrier k (P per row), row-major, (re, im) as doubles.
    private let weights: [(re: Double, im: Double)]
    private let pilotCount: Int

    init(pilots: [Int], subcarriers n: Int, sampleIndex: [Int], powers: [Double], noiseToSignal: Double) {
        func correlation(_ dk: Int) -> (re: Double, im: Double) {
            var re = 0.0, im = 0.0
            for (m, p) in zip(sampleIndex, powers) {
                let angle = -2 * Double.pi * Double(dk * m) / Double(n)
                re += p * libmCos(angle)
                im += p * libmSin(angle)
            }
            return (re, im)
        }
        let count = pilots.count
        // M = R_PP + (N0/Es)·I, Hermitian positive definite; solve M·X = R_P,all column by column (Cholesky).
        var m = [(re: Double, im: Double)](repeating: (0, 0), count: count * count)
        for i in 0..<count {
            for j in 0..<count { m[i * count + j] = correlation(pilots[i] - pilots[j]) }
            m[i * count + i].re += noiseToSignal
        }
        let l = Self.cholesky(m, count: count)
        var rows = [(re: Double, im: Double)](repeating: (0, 0), count: n * count)
        var column = [(re: Double, im: Double)](repeating: (0, 0), count: count)
        for k in 0..<n {
            for i in 0..<count { column[i] = correlation(pilots[i] - k) }  // R_P,k
            let x = Self.solve(l, column, count: count)  // M⁻¹·R_P,k
            for i in 0..<count { rows[k * count + i] = (x[i].re, -x[i].im) }  // W[k, i] = conj(x[i])
        }
        weights = rows
        pilotCount = count
    }

    /// Ĥ[k] = Σ_i W[k, i]·Ĥ_LS[i].
    func apply(_ estimates: [ComplexSymbol]) -> [ComplexSymbol] {
        let n = weights.count / pilotCount
        return (0..<n).map { k in
            var re = 0.0, im = 0.0
            for i in 0..<pilotCount {
                let w = weights[k * pilotCount + i], e = estimates[i]
                re += w.re * Double(e.re) - w.im * Double(e.im)
                im += w.re * Double(e.im) + w.im * Double(e.re)
            }
            return ComplexSymbol(Float(re), Float(im))
        }
    }

    /// L with M = L·Lᴴ (lower triangular, row-major).
    static func cholesky(_ m: [(re: Double, im: Double)], count: Int) -> [(re: Double, im: Double)] {
        var l = [(re: Double, im: Double)](repeating: (0, 0), count: count * count)
        for j in 0..<count {
            var d = m[j * count + j].re
            for k in 0..<j {
                d -= l[j * count + k].re * l[j * count + k].re + l[j * count + k].im * l[j * count + k].im
            }
            let diagonal = max(d, 1e-300).squareRoot()
            l[j * count + j] = (diagonal, 0)
            for i in (j + 1)..<max(j + 1, count) {
                var re = m[i * count + j].re, im = m[i * count + j].im
                for k in 0..<j {  // − L[i,k]·conj(L[j,k])
                    let a = l[i * count + k], b = l[j * count + k]
                    re -= a.re * b.re + a.im * b.im
                    im -= a.im * b.re - a.re * b.im
                }
                l[i * count + j] = (re / diagonal, im / diagonal)
            }
        }
        return l
    }

    /// x with L·Lᴴ·x = b.
    static func solve(
        _ l: [(re: Double, im: Double)], _ b: [(re: Double, im: Double)], count: Int
    ) -> [(re: Double, im: Double)] {
        var y = b
        for i in 0..<count {  // L·y = b
            var re = y[i].re, im = y[i].im
            for k in 0..<i {
                let a = l[i * count + k], v = y[k]
                re -= a.re * v.re - a.im * v.im
                im -= a.re * v.im + a.im * v.re
            }
            let d = l[i * count + i].re
            y[i] = (re / d, im / d)
        }
        for i in stride(from: count - 1, through: 0, by: -1) {  // Lᴴ·x = y
            var re = y[i].re, im = y[i].im
            for k in (i + 1)..<max(i + 1, count) {
                let a = l[k * count + i], v = y[k]  // conj(L[k,i])·x[k]
                re -= a.re * v.re + a.im * v.im
                im -= a.re * v.im - a.im * v.re
            }
            let d = l[i * count + i].re
            y[i] = (re / d, im / d)
        }
        return y
    }
}
