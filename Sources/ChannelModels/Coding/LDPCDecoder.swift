/// Layered normalised min-sum decoding of an `LDPCCode`, with early stopping on a zero syndrome.
///
/// Layered schedule: check rows are processed in order and each updates the a-posteriori LLRs L at once,
/// so later rows already see the news (converges in about half the iterations of flooding). Per row:
/// Q_e = L_v − R_e for its edges, then R_e = α · Π sign(Q) · min|Q| over the *other* edges (min1/min2 trick),
/// L_v = Q_e + R_e. α = 0.75 (normalised min-sum) recovers most of the loss of min-sum against sum-product.
/// After every iteration the hard decisions are checked against H; a zero syndrome stops the decoder.
/// LLR convention: ln P(0)/P(1) (positive → 0).
public struct LDPCDecoder: Sendable {
    public let code: LDPCCode
    /// Iterations at most.
    public var maxIterations: Int
    /// The min-sum normalisation α.
    public var normalization: Float

    public init(code: LDPCCode, maxIterations: Int = 20, normalization: Float = 0.75) {
        self.code = code
        self.maxIterations = maxIterations
        self.normalization = normalization
    }

    /// What decoding one codeword gave.
    public struct Result: Sendable {
        /// The decided codeword (n bits, 0/1); the information bits are its first k.
        public var codeword: [UInt8]
        /// Iterations run.
        public var iterations: Int
        /// Whether the syndrome reached zero (a valid codeword; usually the sent one).
        public var converged: Bool
    }

    /// Decodes `llrs` (n channel LLRs).
    public func decode(_ llrs: [Float]) -> Result {
        let n = code.n, checks = code.checks
        precondition(llrs.count == n, "\(code.name) decodes \(n) LLRs")
        var app = llrs
        var messages = [Float](repeating: 0, count: code.edges)
        var hard = [UInt8](repeating: 0, count: n)
        var iterations = 0
        var converged = false
        let alpha = normalization
        app.withUnsafeMutableBufferPointer { L in
            messages.withUnsafeMutableBufferPointer { R in
                hard.withUnsafeMutableBufferPointer { hard in
                    code.rowStart.withUnsafeBufferPointer { start in
                        code.columns.withUnsafeBufferPointer { col in
                            // Early exit when the channel decisions already satisfy every check.
                            for v in 0..<n { hard[v] = L[v] < 0 ? 1 : 0 }
                            if Self.syndromeIsZero(hard, start: start, col: col, checks: checks) {
                                converged = true
                                return
                            }
                            withUnsafeTemporaryAllocation(of: Float.self, capacity: 64) { q in
                                while iterations < maxIterations {
                                    iterations += 1
                                    for r in 0..<checks {
                                        let a = Int(start[r]), b = Int(start[r + 1])
                                        var min1 = Float.infinity, min2 = Float.infinity
                                        var minIndex = -1
                                        var signs: UInt64 = 0  // bit d set when Q_d < 0
                                        var parity = false
                                        for e in a..<b {
                                            let value = L[Int(col[e])] - R[e]
                                            q[e - a] = value
                                            let magnitude = abs(value)
                                            if value < 0 {
                                                signs |= 1 << UInt64(e - a)
                                                parity.toggle()
                                            }
                                            if magnitude < min1 {
                                                min2 = min1
                                                min1 = magnitude
                                                minIndex = e - a
                                            } else if magnitude < min2 {
                                                min2 = magnitude
                                            }
                                        }
                                        let m1 = alpha * min1, m2 = alpha * min2
                                        for e in a..<b {
                                            let d = e - a
                                            var message = d == minIndex ? m2 : m1
                                            // Sign of the product over the other edges: total parity XOR own sign.
                                            let own = (signs >> UInt64(d)) & 1 != 0
                                            if parity != own { message = -message }
                                            R[e] = message
                                            L[Int(col[e])] = q[d] + message
                                        }
                                    }
                                    for v in 0..<n { hard[v] = L[v] < 0 ? 1 : 0 }
                                    if Self.syndromeIsZero(hard, start: start, col: col, checks: checks) {
                                        converged = true
                                        break
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Result(codeword: hard, iterations: iterations, converged: converged)
    }

    @inline(__always)
    private static func syndromeIsZero(
        _ hard: UnsafeMutableBufferPointer<UInt8>, start: UnsafeBufferPointer<Int32>, col: UnsafeBufferPointer<Int32>,
        checks: Int
    ) -> Bool {
        for r in 0..<checks {
            var parity: UInt8 = 0
            for e in Int(start[r])..<Int(start[r + 1]) { parity ^= hard[Int(col[e])] }
            if parity != 0 { return false }
        }
        return true
    }
}
