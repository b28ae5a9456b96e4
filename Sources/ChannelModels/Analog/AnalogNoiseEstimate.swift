/// The noise σ of an analog map's symbols, estimated by the receiver from the symbols alone.
///
/// As sent, every symbol is 0 or 1 (one-hot planes of the present classes); after AWGN each is
/// that level plus N(0, σ²). The estimate fits this two-level Gaussian mixture with the levels
/// known and one shared σ by expectation–maximisation, started from the RMS distance to the nearer
/// level. That starting point alone is accurate for small noise but underestimates σ once the two
/// levels overlap (0.29 for a true 0.32, 0.45 for 0.56, 0.69 for 0.89); EM recovers it to within
/// 1 % at all three (200 scenes, `training/semcom_train/channel.py: estimate_noise_std` is the
/// reference, checked by golden vectors).
public enum AnalogNoiseEstimate {
    /// EM iterations (converged well before this on 64×128 maps at 1–30 dB PSNR).
    public static let iterations = 20

    /// The estimated noise standard deviation (same units as the symbols, peak 1); 0 for no symbols.
    public static func standardDeviation(of values: [Float]) -> Float {
        guard !values.isEmpty else { return 0 }
        let n = Double(values.count)
        var variance = 0.0
        var ones = 0.0
        for v in values {
            let r = Double(v >= 0.5 ? v - 1 : v)
            variance += r * r
            if v >= 0.5 { ones += 1 }
        }
        variance /= n
        var share = min(max(ones / n, 1e-6), 1 - 1e-6)  // fraction of symbols at level 1
        for _ in 0..<iterations {
            guard variance > 1e-12 else { break }
            let prior = libmLog(share / (1 - share)), scale = 1 / (2 * variance)
            var sumR = 0.0, sumSquares = 0.0
            for v in values {
                let x = Double(v)
                // Posterior that the symbol was sent as 1: log-likelihood ratio (2x − 1)/(2σ²) + prior.
                let r = 1 / (1 + libmExp(-((2 * x - 1) * scale + prior)))
                sumR += r
                sumSquares += r * (x - 1) * (x - 1) + (1 - r) * x * x
            }
            variance = sumSquares / n
            share = min(max(sumR / n, 1e-6), 1 - 1e-6)
        }
        return Float(variance.squareRoot())
    }
}
