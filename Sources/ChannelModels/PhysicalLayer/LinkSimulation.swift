import Randomness

/// Monte-Carlo measurement of a `PhysicalLayer` at one Es/N0: random frames are sent until `targetErrors`
/// payload bit errors have been counted or `maxBits` payload bits sent (whichever comes first, at least
/// `minFrames` frames). Deterministic: frame contents and noise come from `SeededGenerator(seed:, stream:)`.
public struct LinkSimulation: Sendable {
    public var configuration: PhysicalLayerConfiguration
    /// Payload bytes per frame (500 ≈ a digital 64×128 map).
    public var frameBytes: Int
    /// Stop once this many payload bit errors were seen.
    public var targetErrors: Int
    /// Stop once this many payload bits were sent.
    public var maxBits: Int
    /// Send at least this many frames (so the block error rate has some support even at high error rates).
    public var minFrames: Int

    public init(
        configuration: PhysicalLayerConfiguration, frameBytes: Int = 500, targetErrors: Int = 1000,
        maxBits: Int = 10_000_000, minFrames: Int = 10
    ) {
        self.configuration = configuration
        self.frameBytes = frameBytes
        self.targetErrors = targetErrors
        self.maxBits = maxBits
        self.minFrames = minFrames
    }

    /// One measured point.
    public struct Point: Sendable, Hashable, Codable {
        public var esN0DB: Double
        public var ebN0DB: Double
        public var frames = 0
        public var frameErrors = 0
        public var totals = LinkStatistics()
        /// The uncoded reference BER of the modulation at this point's Eb/N0 (nil where no closed form).
        public var theoryBER: Double?

        /// Payload bit error rate after decoding.
        public var ber: Double { ratio(totals.postDecodingBitErrors, totals.payloadBits) }
        /// Coded bit error rate before decoding (hard decisions).
        public var rawBER: Double { ratio(totals.preDecodingBitErrors, totals.bitsOnAir) }
        /// Code block error rate (CRC failures per block).
        public var bler: Double { ratio(totals.blockErrors, totals.blocks) }
        /// Frame error rate (a frame fails when any of its blocks does).
        public var fer: Double { ratio(frameErrors, frames) }
        /// Goodput in payload bits per complex channel use: payload bits of frames without errors / channel uses.
        public var goodputBitsPerUse: Double {
            totals.channelUses > 0
                ? Double(totals.payloadBits) * (1 - fer) / Double(totals.channelUses) : 0
        }
        /// Goodput in Mbit/s at `symbolRate` complex channel uses per second.
        public func throughputMbps(symbolRate: Double) -> Double { goodputBitsPerUse * symbolRate / 1e6 }

        private func ratio(_ a: Int, _ b: Int) -> Double { b > 0 ? Double(a) / Double(b) : 0 }
    }

    /// Measures the link at Es/N0 `esN0DB` with noise and data from `seed`.
    public func run(esN0DB: Double, seed: UInt64) -> Point {
        let layer = PhysicalLayer(configuration)
        var rng = SeededGenerator(seed: seed, stream: esN0DB.bitPattern)
        let ebN0 = configuration.ebN0DB(esN0DB: esN0DB)
        var point = Point(
            esN0DB: esN0DB, ebN0DB: ebN0,
            theoryBER: TheoreticalErrorRate.uncoded(
                configuration.modulation, fading: configuration.channel.fading != .none, ebN0DB: ebN0))
        var payload = [UInt8](repeating: 0, count: frameBytes)
        while point.frames < minFrames
            || (point.totals.postDecodingBitErrors < targetErrors && point.totals.payloadBits < maxBits)
        {
            for i in 0..<frameBytes { payload[i] = UInt8(truncatingIfNeeded: rng.next()) }
            let (_, statistics) = layer.transmit(payload, esN0DB: esN0DB, using: &rng)
            point.frames += 1
            if statistics.frameFailed || statistics.postDecodingBitErrors > 0 { point.frameErrors += 1 }
            point.totals.add(statistics)
        }
        return point
    }
}
