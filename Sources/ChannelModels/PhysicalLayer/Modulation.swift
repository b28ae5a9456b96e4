/// Gray-mapped square constellations with unit average symbol energy (Es = 1 per complex channel use).
///
/// BPSK puts one bit on the real axis. QPSK, 16-QAM and 64-QAM are two Gray-coded PAM constellations,
/// one per axis: of the b = log2 M bits of a symbol, the first b/2 choose the I level and the last b/2
/// the Q level. Each PAM uses the binary-reflected Gray code over its levels −(L−1), …, −1, +1, …, L−1
/// (times a scale making Es = 1), with the *first* bit of an axis deciding the sign: bit 0 → positive.
/// So for every modulation a bit 0 leans towards positive amplitudes, which fixes the LLR sign
/// convention LLR = ln P(b = 0 | y) / P(b = 1 | y) > 0 ⇔ "0 more likely". Because the mapping is
/// separable per axis and the noise is circular, exact per-axis LLRs equal the exact 2-D LLRs.
public enum Modulation: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    case bpsk
    case qpsk
    case qam16 = "16qam"
    case qam64 = "64qam"

    /// Coded bits per complex channel use (log2 M).
    public var bitsPerSymbol: Int {
        switch self {
        case .bpsk: 1
        case .qpsk: 2
        case .qam16: 4
        case .qam64: 6
        }
    }

    /// Bits carried per real axis (BPSK: 1 on I, none on Q).
    public var bitsPerAxis: Int { self == .bpsk ? 1 : bitsPerSymbol / 2 }

    /// PAM levels per axis (2, 2, 4, 8).
    public var levelsPerAxis: Int { 1 << bitsPerAxis }

    /// The amplitude scale: levels are odd integers times this, so that E|x|² = 1.
    /// BPSK: 1; M-QAM: √(3 / (2(M − 1))) (QPSK 1/√2, 16-QAM 1/√10, 64-QAM 1/√42).
    public var scale: Float {
        switch self {
        case .bpsk: 1
        case .qpsk: Float((1.0 / 2).squareRoot())
        case .qam16: Float((1.0 / 10).squareRoot())
        case .qam64: Float((1.0 / 42).squareRoot())
        }
    }

    /// The name used on the command line and in logs: `bpsk`, `qpsk`, `16qam`, `64qam`.
    public var description: String { rawValue }

    /// The amplitudes of one axis indexed by the axis' bit label (first bit = most significant),
    /// Gray-coded: neighbouring amplitudes differ in exactly one bit.
    public var axisAmplitudes: [Float] {
        let levels = levelsPerAxis
        var amplitude = [Float](repeating: 0, count: levels)
        // Level index i = 0 … L−1 from the most positive to the most negative; its label is Gray(i),
        // so label 0…0 is the most positive and the first bit (MSB) is the sign bit.
        for i in 0..<levels {
            let label = i ^ (i >> 1)
            amplitude[label] = Float(levels - 1 - 2 * i) * scale
        }
        return amplitude
    }

    /// Maps `bits` (one bit per element, 0 or 1; count a multiple of `bitsPerSymbol`) to symbols.
    public func modulate(_ bits: [UInt8]) -> [ComplexSymbol] {
        precondition(bits.count % bitsPerSymbol == 0, "bit count must be a multiple of log2 M")
        let b = bitsPerAxis, table = axisAmplitudes
        let count = bits.count / bitsPerSymbol
        return [ComplexSymbol](unsafeUninitializedCapacity: count) { out, initialized in
            bits.withUnsafeBufferPointer { bits in
                if self == .bpsk {
                    for i in 0..<count { out[i] = ComplexSymbol(table[Int(bits[i] & 1)], 0) }
                } else {
                    var p = 0
                    for i in 0..<count {
                        var li = 0, lq = 0
                        for _ in 0..<b { li = (li << 1) | Int(bits[p] & 1); p += 1 }
                        for _ in 0..<b { lq = (lq << 1) | Int(bits[p] & 1); p += 1 }
                        out[i] = ComplexSymbol(table[li], table[lq])
                    }
                }
            }
            initialized = count
        }
    }

    /// Hard decisions: the bits of the nearest constellation point to each symbol (minimum distance).
    public func slice(_ symbols: [ComplexSymbol]) -> [UInt8] {
        let b = bitsPerAxis, levels = levelsPerAxis, s = scale
        var bits = [UInt8](repeating: 0, count: symbols.count * bitsPerSymbol)
        // Nearest level index from the amplitude: i = round(((L−1) − a/s) / 2), clamped; label = Gray(i).
        @inline(__always) func label(_ a: Float) -> Int {
            var i = Int((((Float(levels - 1) - a / s) * 0.5)).rounded())
            i = min(max(i, 0), levels - 1)
            return i ^ (i >> 1)
        }
        var p = 0
        for z in symbols {
            if self == .bpsk {
                bits[p] = z.re < 0 ? 1 : 0
                p += 1
                continue
            }
            let li = label(z.re), lq = label(z.im)
            for k in stride(from: b - 1, through: 0, by: -1) { bits[p] = UInt8((li >> k) & 1); p += 1 }
            for k in stride(from: b - 1, through: 0, by: -1) { bits[p] = UInt8((lq >> k) & 1); p += 1 }
        }
        return bits
    }
}
