import Randomness

/// What many realisations of a TDL channel show (`semcom channel taps`, and the tests that hold the model to its
/// table): each tap's mean power, the RMS delay spread of those means, and the normalised autocorrelation of a
/// Rayleigh tap's gain against Clarke's J0(2π f_D τ).
public struct TDLStatistics: Sendable {
    /// Mean power of each tap over the realisations (linear; the model's sum to 1).
    public var powers: [Double]
    /// RMS delay spread of `powers` at the model's delays, seconds.
    public var rmsDelaySpread: Double
    /// The tap whose autocorrelation is measured: the strongest purely Rayleigh one.
    public var autocorrelationTap: Int
    /// (lag seconds, Re E[h(t+τ)h*(t)] / E|h(t)|²) at each lag asked for.
    public var autocorrelation: [(lag: Double, value: Double)]

    /// Measures `realisations` independent draws of `model` at Doppler `dopplerHz`, each read at time 0 and at
    /// every lag (seconds), drawn from `seed`.
    public static func measure(
        _ model: TDLModel, dopplerHz: Double, realisations: Int, lags: [Double], seed: UInt64
    ) -> TDLStatistics {
        let taps = model.powers.count
        // The strongest tap with no specular part: Rayleigh by construction.
        let rayleigh = (0..<taps).filter { $0 > 0 || model.kFactor == 0 }.max { model.powers[$0] < model.powers[$1] }!
        var power = [Double](repeating: 0, count: taps)
        var correlation = [Double](repeating: 0, count: lags.count)
        var reference = 0.0
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<max(1, realisations) {
            let fading = TDLFading(model: model, dopplerHz: dopplerHz, using: &rng)
            let gains = fading.gains(at: 0)
            for (index, g) in gains.enumerated() { power[index] += g.re * g.re + g.im * g.im }
            let h0 = gains[rayleigh]
            reference += h0.re * h0.re + h0.im * h0.im
            for (index, lag) in lags.enumerated() {
                let h = fading.gain(tap: rayleigh, at: lag)
                correlation[index] += h.re * h0.re + h.im * h0.im  // Re(h(τ)·conj(h(0)))
            }
        }
        let count = Double(max(1, realisations))
        power = power.map { $0 / count }
        return TDLStatistics(
            powers: power, rmsDelaySpread: TDLModel.rmsDelaySpread(delays: model.delays, powers: power),
            autocorrelationTap: rayleigh,
            autocorrelation: zip(lags, correlation).map { ($0, reference > 0 ? $1 / reference : 0) })
    }
}
