import Randomness

/// Finds the lowest Es/N0 at which a frame error rate falls under a target, for the MCS table.
///
/// A scan upwards in `coarseStepDB` steps from `startDB` finds the first grid point with FER < target (each
/// estimate from frames until `frameErrors` failures or `maxFrames` frames), then the last coarse step below
/// it is refined in `fineStepDB` steps. FER falls monotonically with SNR, so the result is the first fine
/// point under the target: resolution `fineStepDB`, Monte-Carlo spread a few tenths of a dB at most.
public struct MCSThresholdSearch: Sendable {
    public var startDB: Double = -4
    public var ceilingDB: Double = 40
    public var coarseStepDB: Double = 1
    public var fineStepDB: Double = 0.25
    public var frameErrors: Int = 40
    public var maxFrames: Int = 400
    public var target: Double = MCSTable.targetFrameErrorRate

    public init() {}

    /// The frame error rate of `configuration` at `esN0DB`.
    public func frameErrorRate(_ configuration: PhysicalLayerConfiguration, esN0DB: Double, seed: UInt64) -> Double {
        // targetErrors counts bit errors; frame failures are what matter here, so count them ourselves.
        let layer = PhysicalLayer(configuration)
        var rng = SeededGenerator(seed: seed, stream: esN0DB.bitPattern)
        var payload = [UInt8](repeating: 0, count: MCSTable.frameBytes)
        var frames = 0, failures = 0
        while frames < maxFrames && failures < frameErrors {
            for i in payload.indices { payload[i] = UInt8(truncatingIfNeeded: rng.next()) }
            let (bytes, statistics) = layer.transmit(payload, esN0DB: esN0DB, using: &rng)
            frames += 1
            if statistics.frameFailed || bytes != payload { failures += 1 }
        }
        return Double(failures) / Double(frames)
    }

    /// The threshold Es/N0 in dB, or nil when even `ceilingDB` misses the target.
    public func threshold(_ configuration: PhysicalLayerConfiguration, seed: UInt64) -> Double? {
        var snr = startDB
        while snr <= ceilingDB {
            if frameErrorRate(configuration, esN0DB: snr, seed: seed) < target {
                var fine = max(startDB, snr - coarseStepDB + fineStepDB)
                while fine < snr {
                    if frameErrorRate(configuration, esN0DB: fine, seed: seed) < target { return fine }
                    fine += fineStepDB
                }
                return snr
            }
            snr += coarseStepDB
        }
        return nil
    }
}
