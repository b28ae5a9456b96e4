/// Soft demapping of equalised symbols to bit log-likelihood ratios.
///
/// Sign convention: **LLR = ln P(b = 0 | y) / P(b = 1 | y)**; positive means "0 is more likely", and
/// the hard decision is b = 1 exactly when LLR < 0. The decoders in this module take LLRs in this sense.
///
/// Each symbol comes with the equaliser's real gain g (the symbol seen is z = g·x + w; g = 1 after ZF,
/// g < 1 after MMSE) and the variance σ² of w per real dimension. Because the constellations are
/// separable Gray PAM per axis (see `Modulation`) and w is circular, each axis is demapped on its own:
/// - exact: LLR_k = ln Σ_{a: bit k = 0} e^{−(r − g·a)²/(2σ²)} − ln Σ_{a: bit k = 1} e^{−(r − g·a)²/(2σ²)},
///   computed as a log-sum-exp (shifted by the largest term, so it neither overflows nor underflows);
/// - max-log: the same with each sum replaced by its largest term, i.e.
///   LLR_k = (min_{a: bit 1} (r − g·a)² − min_{a: bit 0} (r − g·a)²) / (2σ²).
/// For BPSK both are 2·g·r / σ² exactly.
public enum SoftDemapper {
    /// How LLRs are computed.
    public enum Method: String, Sendable, Hashable, CaseIterable {
        /// Exact log-sum-exp over the constellation.
        case exact
        /// Max-log approximation (nearest point per bit value).
        case maxLog = "max-log"
    }

    /// LLRs (Float, `bitsPerSymbol` per symbol, bits in the order `Modulation.modulate` reads them).
    public static func llrs(
        _ equalized: EqualizedSymbols, modulation: Modulation, method: Method = .exact
    ) -> [Float] {
        let n = equalized.symbols.count
        let b = modulation.bitsPerAxis, perSymbol = modulation.bitsPerSymbol
        let table = modulation.axisAmplitudes
        var out = [Float](repeating: 0, count: n * perSymbol)
        equalized.symbols.withUnsafeBufferPointer { z in
            equalized.gains.withUnsafeBufferPointer { g in
                equalized.noiseVariances.withUnsafeBufferPointer { v in
                    out.withUnsafeMutableBufferPointer { out in
                        if modulation == .bpsk {
                            for i in 0..<n { out[i] = clampLLR(2 * g[i] * z[i].re / max(v[i], 1e-30)) }
                            return
                        }
                        table.withUnsafeBufferPointer { table in
                            var p = 0
                            for i in 0..<n {
                                let inv = 1 / (2 * max(v[i], 1e-30))
                                axis(
                                    z[i].re, gain: g[i], inv2s2: inv, bits: b, table: table, method: method, out: out,
                                    at: p)
                                axis(
                                    z[i].im, gain: g[i], inv2s2: inv, bits: b, table: table, method: method, out: out,
                                    at: p + b)
                                p += perSymbol
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// LLRs are clamped to ±`llrLimit`: a zero-noise or deep-faded symbol must not produce ±∞ or NaN.
    public static let llrLimit: Float = 1e4

    @inline(__always) static func clampLLR(_ x: Float) -> Float {
        x.isNaN ? 0 : min(max(x, -llrLimit), llrLimit)
    }

    /// One axis: `bits` LLRs from amplitude `r` into out[at..<at+bits]. At most 8 levels (64-QAM).
    @inline(__always)
    private static func axis(
        _ r: Float, gain: Float, inv2s2: Float, bits: Int, table: UnsafeBufferPointer<Float>, method: Method,
        out: UnsafeMutableBufferPointer<Float>, at: Int
    ) {
        let levels = 1 << bits
        // Metric of every level label: −(r − g·a)²/(2σ²).
        var metric: (Float, Float, Float, Float, Float, Float, Float, Float) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &metric) { raw in
            let m = raw.bindMemory(to: Float.self)
            for label in 0..<levels {
                let d = r - gain * table[label]
                m[label] = -d * d * inv2s2
            }
            for k in 0..<bits {
                let mask = 1 << (bits - 1 - k)
                var best0 = -Float.infinity, best1 = -Float.infinity
                for label in 0..<levels {
                    if label & mask == 0 { best0 = max(best0, m[label]) } else { best1 = max(best1, m[label]) }
                }
                var llr = best0 - best1
                if method == .exact {
                    var s0: Float = 0, s1: Float = 0
                    for label in 0..<levels {
                        if label & mask == 0 {
                            s0 += libmExpf(m[label] - best0)
                        } else {
                            s1 += libmExpf(m[label] - best1)
                        }
                    }
                    llr += libmLogf(s0) - libmLogf(s1)
                }
                out[at + k] = clampLLR(llr)
            }
        }
    }

    /// Hard decisions from LLRs: 1 where LLR < 0, else 0.
    public static func hardDecisions(_ llrs: [Float]) -> [UInt8] {
        llrs.map { $0 < 0 ? 1 : 0 }
    }
}
