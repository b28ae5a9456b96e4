import Randomness

/// How an analog channel's setting in dB becomes a noise standard deviation. The choice is
/// part of every log line and frame annotation: the same number means different noise
/// under each convention.
public enum AnalogNoiseConvention: Sendable, Hashable, Codable {
    /// GESCO's convention: symbols in {0, 1} with peak 1; real noise σ = 10^(−PSNR/20) on every
    /// symbol, whatever the map holds. `dB` is the peak SNR.
    case psnr(dB: Double)
    /// GESCO's reference code verbatim: σ looked up in `ChannelConventions.gescoNoiseTable`
    /// (30→0.05 … 1→0.9, 100→0). Only the table's settings are valid. Use it to reproduce
    /// the paper's numbers; its σ are not 10^(−PSNR/20) (see the table's documentation).
    case gescoTable(dB: Double)
    /// Radio convention, Es/N0 in dB per complex channel use. Real symbols travel in pairs as
    /// the I and Q parts of one complex channel use, so Es = 2·P̄ with P̄ the mean square of the
    /// real symbols, N0 = Es·10^(−Es/N0 / 10), and each real symbol gets N0/2 of noise variance:
    /// σ² = P̄·10^(−Es/N0 / 10). Thus the measured per-symbol SNR (P̄ / noise power) equals the
    /// setting, and unit-average-power complex symbols (P̄ = ½) get exactly σ = √(N0/2).
    /// P̄ is measured on the symbols of each application (a one-hot map over K channels has
    /// P̄ = 1/K), so the setting holds whatever the map's class count.
    case esN0(dB: Double)

    /// The setting in dB, in this convention's own terms.
    public var settingDB: Double {
        switch self {
        case .psnr(let dB), .gescoTable(let dB), .esN0(let dB): dB
        }
    }

    /// A short stable name for logs and frame annotations: `psnr`, `gesco-table`, `esn0`.
    public var name: String {
        switch self {
        case .psnr: "psnr"
        case .gescoTable: "gesco-table"
        case .esN0: "esn0"
        }
    }
}

/// Additive white Gaussian noise on real-valued analog symbols (the GESCO analog link).
/// Noise is independent per symbol and drawn from the caller's seeded generator.
public struct AWGNChannel: Sendable, Hashable {
    /// How the setting maps to noise.
    public let convention: AnalogNoiseConvention

    /// A channel for `convention`. Throws for a non-finite setting or a GESCO-table setting
    /// that is not in the table.
    public init(_ convention: AnalogNoiseConvention) throws(ChannelConfigurationError) {
        let dB = convention.settingDB
        guard dB.isFinite else {
            throw ChannelConfigurationError(
                "channel setting \(dB) dB is not a finite number; give a value in dB such as 10")
        }
        if case .gescoTable = convention, ChannelConventions.gescoNoiseStd(psnrDB: dB) == nil {
            let valid = ChannelConventions.gescoNoiseTable.map { "\(Int($0.psnrDB))" }.joined(separator: ", ")
            throw ChannelConfigurationError(
                "GESCO's noise table has no entry for \(dB) dB; use one of \(valid) or 100, or the psnr convention")
        }
        self.convention = convention
    }

    /// GESCO's PSNR convention at `dB` (peak SNR, σ = 10^(−dB/20)). `dB` must be finite.
    public static func psnr(_ dB: Double) -> AWGNChannel {
        precondition(dB.isFinite, "PSNR must be finite")
        return AWGNChannel(unchecked: .psnr(dB: dB))
    }

    /// The Es/N0 convention at `dB` (see `AnalogNoiseConvention.esN0`). `dB` must be finite.
    public static func esN0(_ dB: Double) -> AWGNChannel {
        precondition(dB.isFinite, "Es/N0 must be finite")
        return AWGNChannel(unchecked: .esN0(dB: dB))
    }

    private init(unchecked convention: AnalogNoiseConvention) { self.convention = convention }

    /// The noise standard deviation per real symbol for symbols of mean square `signalPower`
    /// (only the Es/N0 convention depends on it).
    public func noiseStd(signalPower: Double) -> Double {
        switch convention {
        case .psnr(let dB): ChannelConventions.noiseStd(psnrDB: dB)
        case .gescoTable(let dB): ChannelConventions.gescoNoiseStd(psnrDB: dB) ?? 0
        case .esN0(let dB): libmSqrt(max(signalPower, 0) * ChannelConventions.linear(fromDecibels: -dB))
        }
    }

    /// Adds noise to `symbols` in place and reports what the channel did.
    @discardableResult
    public func apply(to symbols: inout [Float], using rng: inout SeededGenerator) -> AWGNStatistics {
        symbols.withUnsafeMutableBufferPointer { apply(to: $0, using: &rng) }
    }

    /// Adds noise to `symbols` in place and reports what the channel did.
    public func apply(to symbols: UnsafeMutableBufferPointer<Float>, using rng: inout SeededGenerator) -> AWGNStatistics
    {
        let n = symbols.count
        var signalEnergy = 0.0
        for x in symbols { signalEnergy += Double(x) * Double(x) }
        let signalPower = n > 0 ? signalEnergy / Double(n) : 0
        let sigma = noiseStd(signalPower: signalPower)

        var noiseEnergy = 0.0
        if sigma > 0 && n > 0 {
            // Noise is drawn in cache-sized chunks so a 256×512×35 map needs no second
            // full-size buffer.
            let chunk = min(n, 4096)
            withUnsafeTemporaryAllocation(of: Double.self, capacity: chunk) { noise in
                var offset = 0
                while offset < n {
                    let m = min(chunk, n - offset)
                    let part = UnsafeMutableBufferPointer(rebasing: noise[0..<m])
                    GaussianNoise.fillStandardNormal(part, using: &rng)
                    for j in 0..<m {
                        let x = symbols[offset + j]
                        let y = Float(Double(x) + sigma * part[j])
                        symbols[offset + j] = y
                        // Measure the noise actually added, after rounding to Float.
                        let e = Double(y) - Double(x)
                        noiseEnergy += e * e
                    }
                    offset += m
                }
            }
        }
        return AWGNStatistics(
            convention: convention, symbolCount: n, signalPower: signalPower,
            noisePower: n > 0 ? noiseEnergy / Double(n) : 0, noiseStd: sigma)
    }

    /// A noisy copy of `symbols` and what the channel did.
    public func transmit(_ symbols: [Float], using rng: inout SeededGenerator) -> (
        symbols: [Float], statistics: AWGNStatistics
    ) {
        var copy = symbols
        let statistics = apply(to: &copy, using: &rng)
        return (copy, statistics)
    }
}

/// What one application of an `AWGNChannel` did, measured on the symbols themselves.
public struct AWGNStatistics: Sendable, Hashable {
    /// The convention and setting that produced the noise.
    public let convention: AnalogNoiseConvention
    /// Real symbols the noise was added to.
    public let symbolCount: Int
    /// Mean square of the transmitted symbols (linear, per real symbol).
    public let signalPower: Double
    /// Mean square of the noise actually added (linear, per real symbol).
    public let noisePower: Double
    /// The noise standard deviation used (per real symbol, in symbol units).
    public let noiseStd: Double

    /// Complex channel uses: two real symbols per use (I and Q), rounded up.
    public var channelUses: Int { (symbolCount + 1) / 2 }

    /// Measured SNR in dB: signal power / measured noise power, per real symbol.
    /// Nil when undefined (no symbols, no signal or no noise).
    public var measuredSNRDB: Double? {
        finiteOrNil(ChannelConventions.decibels(fromLinear: signalPower / noisePower))
    }

    /// Measured peak SNR in dB for peak amplitude 1: 1 / measured noise power.
    /// Nil when undefined (no symbols or no noise).
    public var measuredPSNRDB: Double? {
        finiteOrNil(ChannelConventions.decibels(fromLinear: 1 / noisePower))
    }
}

@inline(__always) func finiteOrNil(_ x: Double) -> Double? { x.isFinite ? x : nil }
