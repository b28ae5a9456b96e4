/// How the received analog symbols of one stretch relate to the sent ones: z = level · x + N(0, variance),
/// x ∈ {0, 1}. Without fading the level is 1 and the variance σ² for the whole frame; after Rayleigh block
/// fading and equalisation each fading block has its own.
public struct SymbolChannel: Sendable, Hashable {
    /// What a sent 1 arrives as (a sent 0 arrives as 0): 1 after ZF, |h|² / (|h|² + N0/Es) after MMSE.
    public var level: Float
    /// Noise variance per real symbol after equalisation (same units as the symbols, peak 1).
    public var variance: Float

    public init(level: Float, variance: Float) {
        self.level = level
        self.variance = variance
    }

    /// log p(z | sent 1) − log p(z | sent 0), in nats: level · (2z − level) / (2 · variance).
    @inline(__always) public func logLikelihoodRatio(_ z: Float) -> Float {
        level * (2 * z - level) / (2 * variance)
    }
}

/// The per-block channel of an analog map that crossed Rayleigh block fading, estimated by the receiver from
/// the equalised symbols alone (`AnalogFadingChannel` is what put them there).
///
/// Under fading the symbols of a block in a deep fade arrive shrunk (MMSE) or drowned (ZF), so one σ for the
/// frame and the level 1 that AWGN implies tell the Potts denoiser that a faded 1 is a confident 0. Each
/// block's channel is fitted instead, by maximum likelihood of its symbols under the two-level mixture
/// π·N(level, v) + (1 − π)·N(0, v), π = 1/K (one of the K present planes is 1 at a non-void pixel; at most 0.9), with one
/// free parameter per block in each equaliser's family:
/// - **MMSE** (the relay's default): level a = g / (g + ρ) and v = a(1 − a)·P for a block of gain g = |h|²,
///   ρ = N0/Es and P = π the mean power of the sent symbols — the noise after MMSE is g·σ²/(g + ρ)², which is
///   a(1 − a)·σ²/ρ, and σ²/ρ = Es/2 = P. σ itself drops out.
/// - **ZF**: level 1, v = σ²/g free.
///
/// The family with the larger total likelihood is kept (a relay's equaliser is not on the wire). A fit is a
/// coarse grid over the parameter then a golden-section search between the best point's neighbours: the
/// likelihood of one block is not always unimodal in the level, and a grid finds the global peak.
/// `training/semcom_train/channel.py: fit_fading` is the reference (golden vectors).
public enum FadingEstimate {
    /// The equaliser family a fit assumed.
    public enum Family: String, Sendable, CaseIterable {
        case mmse
        case zeroForcing = "zf"
    }

    /// The fitted channel of every block.
    public struct Fit: Sendable, Hashable {
        public var family: Family
        /// Real symbols per fading block (the last block may be shorter).
        public var blockLength: Int
        public var blocks: [SymbolChannel]
        /// Total log-likelihood of the symbols under the fit, nats (constants included).
        public var logLikelihood: Double

        public init(family: Family, blockLength: Int, blocks: [SymbolChannel], logLikelihood: Double) {
            precondition(blockLength > 0, "block length must be positive")
            self.family = family
            self.blockLength = blockLength
            self.blocks = blocks
            self.logLikelihood = logLikelihood
        }

        /// The channel that symbol `index` went through.
        @inline(__always) public func channel(ofSymbol index: Int) -> SymbolChannel { blocks[index / blockLength] }
    }

    /// The largest share of 1s a fit assumes (a one-class map's void pixels still send 0s).
    static let maximumShare = 0.9
    /// Grid points of a fit before the golden-section refinement.
    static let gridPoints = 17
    /// Golden-section steps (the bracket of two grid cells shrinks by 0.618 each).
    static let refinements = 14
    /// The smallest noise variance a fit allows: the symbols are float16 (within 5e-4 of their value).
    static let minimumVariance = PottsDenoiser.minimumNoiseStd * PottsDenoiser.minimumNoiseStd

    /// The shortest block a fit is made for. A receiver falls back to one σ for the frame when a hop's blocks
    /// are shorter (a handful of symbols cannot tell a level from noise, and a hostile hop could ask for
    /// millions of two-symbol blocks); a frame's last block when shorter takes the block before it's channel.
    public static let minimumBlockLength = 32

    /// Fits every block of `blockLength` real symbols of `values` (a frame's symbols in wire order) under
    /// both families and returns the likelier. `classCount` is K, the number of present planes (≥ 1).
    public static func fit(_ values: [Float], blockLength: Int, classCount: Int) -> Fit {
        precondition(blockLength > 0 && classCount > 0, "block length and class count must be positive")
        // With one class every non-void symbol is 1: the share is then below 1 only by the void pixels, whose
        // zeros a share of exactly 1 would declare impossible.
        let share = min(1 / Double(classCount), maximumShare)
        let fits = Family.allCases.map { family in
            var blocks: [SymbolChannel] = []
            blocks.reserveCapacity((values.count + blockLength - 1) / blockLength)
            var total = 0.0
            values.withUnsafeBufferPointer { all in
                for start in stride(from: 0, to: all.count, by: blockLength) {
                    let block = UnsafeBufferPointer(rebasing: all[start..<min(start + blockLength, all.count)])
                    if block.count < minimumBlockLength, let previous = blocks.last {
                        blocks.append(previous)
                        total += logLikelihood(block, previous, share: share)
                    } else {
                        let (channel, logLikelihood) = fitBlock(block, family: family, share: share)
                        blocks.append(channel)
                        total += logLikelihood
                    }
                }
            }
            return Fit(family: family, blockLength: blockLength, blocks: blocks, logLikelihood: total)
        }
        return fits.max { $0.logLikelihood < $1.logLikelihood }!
    }

    /// The channel of one block in one family, and its log-likelihood.
    static func fitBlock(_ block: UnsafeBufferPointer<Float>, family: Family, share: Double) -> (SymbolChannel, Double)
    {
        // One parameter t per family: the logit of the level (MMSE), the log of the noise std (ZF).
        let range: ClosedRange<Double> =
            family == .mmse ? -9...9 : libmLog(Double(PottsDenoiser.minimumNoiseStd))...libmLog(10)
        let best = maximise(over: range) { t in
            logLikelihood(block, channel(family, parameter: t, share: share), share: share)
        }
        return (channel(family, parameter: best.argument, share: share), best.value)
    }

    /// The channel of `family` at parameter `t`.
    static func channel(_ family: Family, parameter t: Double, share: Double) -> SymbolChannel {
        switch family {
        case .mmse:
            let a = 1 / (1 + libmExp(-t))
            return SymbolChannel(level: Float(a), variance: Float(max(a * (1 - a) * share, Double(minimumVariance))))
        case .zeroForcing:
            return SymbolChannel(level: 1, variance: Float(max(libmExp(2 * t), Double(minimumVariance))))
        }
    }

    /// log Π p(z) under π·N(level, v) + (1 − π)·N(0, v), nats. In Double, as the reference: a large finite
    /// symbol (float32 frames may carry 1e30) squares to a finite number there.
    static func logLikelihood(_ block: UnsafeBufferPointer<Float>, _ channel: SymbolChannel, share: Double) -> Double {
        let v = Double(channel.variance), a = Double(channel.level)
        let inverse = 1 / (2 * v)
        let logOne = libmLog(share), logZero = libmLog(1 - share)
        var sum = 0.0
        for value in block {
            let z = Double(value)
            let one = logOne - (z - a) * (z - a) * inverse
            let zero = logZero - z * z * inverse
            let high = max(one, zero), low = min(one, zero)
            sum += high + libmLog1p(libmExp(low - high))
        }
        // The Gaussians' normalisation, common to both levels.
        return sum - 0.5 * Double(block.count) * libmLog(2 * Double.pi * v)
    }

    /// The maximum of `f` over `range`: the best of `gridPoints` evenly spaced points, then a golden-section
    /// search between that point's neighbours.
    static func maximise(over range: ClosedRange<Double>, _ f: (Double) -> Double) -> (argument: Double, value: Double)
    {
        let step = (range.upperBound - range.lowerBound) / Double(gridPoints - 1)
        var best = (argument: range.lowerBound, value: -Double.infinity)
        for i in 0..<gridPoints {
            let t = range.lowerBound + Double(i) * step
            let value = f(t)
            if value > best.value { best = (t, value) }
        }
        var lo = max(range.lowerBound, best.argument - step), hi = min(range.upperBound, best.argument + step)
        let ratio = (5.0.squareRoot() - 1) / 2
        var c = hi - ratio * (hi - lo), d = lo + ratio * (hi - lo)
        var fc = f(c), fd = f(d)
        for _ in 0..<refinements {
            if fc > fd {
                hi = d; d = c; fd = fc
                c = hi - ratio * (hi - lo); fc = f(c)
            } else {
                lo = c; c = d; fc = fd
                d = lo + ratio * (hi - lo); fd = f(d)
            }
        }
        for candidate in [(c, fc), (d, fd)] where candidate.1 > best.value { best = candidate }
        return best
    }
}
