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

extension TheoreticalErrorRate {
    /// The standard nearest-neighbour approximation of Gray-coded square M-QAM on AWGN (M = 4, 16, 64, …):
    /// Pb ≈ (4 / log2 M)·(1 − 1/√M)·Q(√(3·log2 M·Eb/N0 / (M − 1))). Exact for QPSK; within a few percent for
    /// 16/64-QAM once Pb ≲ 10⁻².
    public static func squareQAMGrayAWGN(order m: Int, ebN0DB: Double) -> Double {
        let k = libmLog2(Double(m))
        let g = ChannelConventions.linear(fromDecibels: ebN0DB)
        return 4 / k * (1 - 1 / libmSqrt(Double(m))) * gaussianQ(libmSqrt(3 * k * g / Double(m - 1)))
    }

    /// The uncoded bit error rate of `modulation` at Eb/N0 `ebN0DB` on AWGN (BPSK/QPSK exact, QAM the
    /// Gray approximation) or on Rayleigh fading with perfect CSI (BPSK/QPSK exact: ½(1 − √(γ̄/(1+γ̄))),
    /// γ̄ = Eb/N0; nil for QAM, which has no closed form here).
    public static func uncoded(_ modulation: Modulation, fading: Bool, ebN0DB: Double) -> Double? {
        switch (modulation, fading) {
        case (.bpsk, false), (.qpsk, false): bpskAWGN(ebN0DB: ebN0DB)
        case (.bpsk, true), (.qpsk, true): bpskRayleigh(averageEbN0DB: ebN0DB)
        case (.qam16, false): squareQAMGrayAWGN(order: 16, ebN0DB: ebN0DB)
        case (.qam64, false): squareQAMGrayAWGN(order: 64, ebN0DB: ebN0DB)
        default: nil
        }
    }
}
