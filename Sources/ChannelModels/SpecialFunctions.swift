/// The Gaussian tail function Q(x) = P(N(0,1) > x) = ½·erfc(x/√2). Accurate in the far tail
/// (erfc does not cancel), which the bit error rates at high SNR need.
public func gaussianQ(_ x: Double) -> Double {
    0.5 * libmErfc(x * 0.707_106_781_186_547_524_4)
}

/// Closed-form error rates the channel models and their tests refer to.
public enum TheoreticalErrorRate {
    /// Uncoded BPSK (and Gray QPSK, per bit) on AWGN: Pb = Q(√(2·Eb/N0)), Eb/N0 in dB.
    public static func bpskAWGN(ebN0DB: Double) -> Double {
        gaussianQ(libmSqrt(2 * ChannelConventions.linear(fromDecibels: ebN0DB)))
    }

    /// Uncoded BPSK on Rayleigh fading with perfect coherent detection:
    /// P̄b = ½(1 − √(γ̄/(1+γ̄))), γ̄ the average Eb/N0 (dB in).
    public static func bpskRayleigh(averageEbN0DB: Double) -> Double {
        let g = ChannelConventions.linear(fromDecibels: averageEbN0DB)
        return 0.5 * (1 - libmSqrt(g / (1 + g)))
    }
}
