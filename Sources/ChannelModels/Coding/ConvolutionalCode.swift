/// The industry-standard K = 7 convolutional code of IEEE 802.11a (generators 133 and 171 octal, rate 1/2),
/// with the 802.11a puncturing to rates 2/3 and 3/4, terminated by 6 zero tail bits.
///
/// Encoder: the shift register holds the last 6 input bits; with input u, the 7-bit register is
/// r = u·2⁶ + state (state's bit 5 = the previous input), and the outputs are A = parity(r & 0o133),
/// B = parity(r & 0o171), sent A then B. So the impulse response (input 1 0 0 0 0 0 0) is
/// A = 1 0 1 1 0 1 1 and B = 1 1 1 1 0 0 1.
public struct ConvolutionalCode: Sendable, Hashable {
    /// A code rate reachable by puncturing the mother rate-1/2 code.
    public enum Rate: String, Sendable, Hashable, CaseIterable, Codable {
        case r12 = "1/2"
        case r23 = "2/3"
        case r34 = "3/4"

        /// (numerator, denominator).
        public var fraction: (Int, Int) {
            switch self {
            case .r12: (1, 2)
            case .r23: (2, 3)
            case .r34: (3, 4)
            }
        }

        /// The 802.11a puncturing pattern over the mother code's output stream A1 B1 A2 B2 …:
        /// 1 = sent, 0 = stolen. 2/3: A1 B1 A2 (B2 stolen); 3/4: A1 B1 A2 B3 (B2 and A3 stolen).
        public var pattern: [Bool] {
            switch self {
            case .r12: [true, true]
            case .r23: [true, true, true, false]
            case .r34: [true, true, true, false, false, true]
            }
        }
    }

    public static let constraintLength = 7
    public static let memory = 6
    public static let generatorA = 0o133
    public static let generatorB = 0o171

    public let rate: Rate

    public init(rate: Rate) { self.rate = rate }

    /// Coded bits sent for `infoBits` information bits (tail included, after puncturing).
    public func codedLength(infoBits: Int) -> Int {
        let mother = 2 * (infoBits + Self.memory)
        let pattern = rate.pattern
        let full = mother / pattern.count, rest = mother % pattern.count
        let perPeriod = pattern.filter { $0 }.count
        return full * perPeriod + pattern[0..<rest].filter { $0 }.count
    }

    /// Output pair (A, B) for each of the 128 register values, A in bit 1 and B in bit 0.
    static let outputs: [UInt8] = (0..<128).map { r in
        UInt8(((r & generatorA).nonzeroBitCount & 1) << 1 | ((r & generatorB).nonzeroBitCount & 1))
    }

    /// The mother rate-1/2 code of `bits` followed by 6 zero tail bits: A1 B1 A2 B2 …
    public static func encodeMother(_ bits: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 2 * (bits.count + memory))
        var state = 0
        var p = 0
        for i in 0..<(bits.count + memory) {
            let u = i < bits.count ? Int(bits[i] & 1) : 0
            let r = (u << 6) | state
            let o = outputs[r]
            out[p] = o >> 1
            out[p + 1] = o & 1
            p += 2
            state = r >> 1
        }
        return out
    }

    /// Encodes `bits` (0/1), tail appended, punctured to `rate`.
    public func encode(_ bits: [UInt8]) -> [UInt8] {
        Self.puncture(Self.encodeMother(bits), rate: rate)
    }

    /// Removes the stolen bits of the mother stream.
    public static func puncture<T>(_ mother: [T], rate: Rate) -> [T] {
        guard rate != .r12 else { return mother }
        let pattern = rate.pattern
        var out: [T] = []
        out.reserveCapacity(mother.count)
        for (i, v) in mother.enumerated() where pattern[i % pattern.count] { out.append(v) }
        return out
    }

    /// Re-inserts LLR 0 (no information) where bits were stolen: a stream of `motherLength` LLRs.
    public static func depuncture(_ llrs: [Float], rate: Rate, motherLength: Int) -> [Float] {
        guard rate != .r12 else { return llrs }
        let pattern = rate.pattern
        var out = [Float](repeating: 0, count: motherLength)
        var j = 0
        for i in 0..<motherLength where pattern[i % pattern.count] {
            out[i] = llrs[j]
            j += 1
        }
        precondition(j == llrs.count, "punctured stream does not match the mother length")
        return out
    }

    /// Soft-decision Viterbi decoding of `llrs` (LLR = ln P(0)/P(1), as sent, punctured) back to
    /// `infoBits` information bits, assuming the trellis starts and ends (tail) in state 0.
    public func decode(_ llrs: [Float], infoBits: Int) -> [UInt8] {
        let mother = Self.depuncture(llrs, rate: rate, motherLength: 2 * (infoBits + Self.memory))
        return ViterbiDecoder.decode(mother, infoBits: infoBits)
    }
}

/// The soft-decision Viterbi decoder of the 64-state K = 7 code.
///
/// Branch metric: the correlation Σ (1 − 2c)·LLR/2 of the branch's two output bits c with the received LLRs
/// (maximising it is maximum likelihood for LLR inputs). Add-compare-select per step over the 64 states in
/// their butterfly form: next state ns = u·32 + (s >> 1) has predecessors s = 2·(ns & 31) + {0, 1}.
/// Survivors are one bit per state per step (which predecessor won), packed in a UInt64 per step, so
/// the traceback memory is 8 bytes per information bit.
enum ViterbiDecoder {
    static func decode(_ llrs: [Float], infoBits: Int) -> [UInt8] {
        let steps = infoBits + ConvolutionalCode.memory
        precondition(llrs.count == 2 * steps, "LLR count must be 2 × (information bits + 6)")
        var decisions = [UInt64](repeating: 0, count: steps)
        var metric = [Float](repeating: -1e30, count: 64)
        var next = [Float](repeating: 0, count: 64)
        metric[0] = 0
        // Outputs per (predecessor state, input): from the register r = u·64 + s.
        let outputs = ConvolutionalCode.outputs
        llrs.withUnsafeBufferPointer { llr in
            decisions.withUnsafeMutableBufferPointer { decisions in
                metric.withUnsafeMutableBufferPointer { m in
                    next.withUnsafeMutableBufferPointer { nx in
                        outputs.withUnsafeBufferPointer { out in
                            var cur = m.baseAddress!, nxt = nx.baseAddress!
                            for t in 0..<steps {
                                let la = 0.5 * llr[2 * t], lb = 0.5 * llr[2 * t + 1]
                                // The four possible branch metrics, indexed by (A, B).
                                let bm: (Float, Float, Float, Float) = (la + lb, la - lb, -la + lb, -la - lb)
                                var word: UInt64 = 0
                                for ns in 0..<64 {
                                    let u = ns >> 5
                                    let s0 = (ns & 31) << 1, s1 = s0 | 1
                                    let o0 = Int(out[(u << 6) | s0]), o1 = Int(out[(u << 6) | s1])
                                    let c0 = cur[s0] + branch(bm, o0), c1 = cur[s1] + branch(bm, o1)
                                    if c1 > c0 {
                                        nxt[ns] = c1
                                        word |= 1 << UInt64(ns)
                                    } else {
                                        nxt[ns] = c0
                                    }
                                }
                                decisions[t] = word
                                // Renormalise now and then so Float metrics keep their precision.
                                if t & 63 == 63 {
                                    let top = nxt[0]
                                    for s in 0..<64 { nxt[s] -= top }
                                }
                                swap(&cur, &nxt)
                            }
                        }
                    }
                }
            }
        }
        // Traceback from state 0 (the tail drives the encoder there).
        var bits = [UInt8](repeating: 0, count: infoBits)
        var state = 0
        for t in stride(from: steps - 1, through: 0, by: -1) {
            let u = state >> 5
            if t < infoBits { bits[t] = UInt8(u) }
            let chosen = Int((decisions[t] >> UInt64(state)) & 1)
            state = ((state & 31) << 1) | chosen
        }
        return bits
    }

    @inline(__always) private static func branch(_ bm: (Float, Float, Float, Float), _ o: Int) -> Float {
        switch o {
        case 0: bm.0
        case 1: bm.1
        case 2: bm.2
        default: bm.3
        }
    }
}
