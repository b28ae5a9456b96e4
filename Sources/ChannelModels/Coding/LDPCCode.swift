/// An IEEE 802.11n LDPC code (n = 648, 1296, 1944; rate 1/2, 2/3, 3/4, 5/6): the base matrix of the standard
/// (`LDPCBaseMatrices`) lifted by Z = n/24, with systematic encoding and a layered min-sum decoder
/// (`LDPCDecoder`).
///
/// Codewords are c = (u, p): the k = n·R information bits first, then n − k parity bits. The parity part of
/// every 802.11n base matrix is a weight-3 column (shifts 1, 0, 1 at rows 0, x, mb−1) followed by a dual
/// diagonal of unshifted identities, so encoding is back-substitution, O(edges), no generator matrix:
/// with λ_i = Σ_j P^{s_ij} u_j the information part of block row i,
/// p_0 = Σ_i λ_i (the two P¹p_0 terms cancel), p_1 = λ_0 + P¹p_0, p_{i+1} = λ_i + p_i (+ P^{s}p_0 in row x).
public struct LDPCCode: Sendable, Hashable {
    /// A code rate of the 802.11n family.
    public enum Rate: String, Sendable, Hashable, CaseIterable, Codable {
        case r12 = "1/2"
        case r23 = "2/3"
        case r34 = "3/4"
        case r56 = "5/6"

        public var fraction: (Int, Int) {
            switch self {
            case .r12: (1, 2)
            case .r23: (2, 3)
            case .r34: (3, 4)
            case .r56: (5, 6)
            }
        }
    }

    /// The codeword lengths of the standard.
    public static let lengths = [648, 1296, 1944]

    /// Codeword length in bits.
    public let n: Int
    public let rate: Rate
    /// Lifting size Z = n / 24.
    public let z: Int
    /// Information bits per codeword, n·R.
    public let k: Int
    /// Block rows of the base matrix (parity blocks).
    public let baseRows: Int
    /// The base matrix, row-major, −1 for a zero block.
    let base: [[Int16]]
    /// The lifted parity-check matrix as CSR: check row r uses variables columns[rowStart[r]..<rowStart[r+1]].
    let rowStart: [Int32]
    let columns: [Int32]
    /// The middle row x of the weight-3 parity column.
    private let middleRow: Int

    /// The code for `n` ∈ {648, 1296, 1944} and `rate`; nil for any other length.
    public init?(n: Int, rate: Rate) {
        let (num, den) = rate.fraction
        guard let base = LDPCBaseMatrices.matrix(n: n, numerator: num, denominator: den) else { return nil }
        self.n = n
        self.rate = rate
        self.z = n / 24
        self.base = base
        baseRows = base.count
        k = n * num / den
        let kb = 24 - baseRows
        // The structure back-substitution relies on; true of all 12 matrices of the standard.
        let first = base.map { $0[kb] }
        precondition(first[0] == 1 && first[baseRows - 1] == 1, "802.11n parity column must start and end with shift 1")
        let middles = (1..<(baseRows - 1)).filter { first[$0] >= 0 }
        precondition(
            middles.count == 1 && first[middles[0]] == 0, "802.11n parity column must have one unshifted middle entry")
        middleRow = middles[0]
        for i in 0..<baseRows {
            for j in (kb + 1)..<24 {
                let onDiagonal = j - kb - 1 == i || j - kb == i
                precondition(
                    onDiagonal ? base[i][j] == 0 : base[i][j] < 0, "802.11n parity part must be a dual diagonal")
            }
        }
        var starts: [Int32] = [0]
        var cols: [Int32] = []
        for i in 0..<baseRows {
            for r in 0..<z {
                for j in 0..<24 where base[i][j] >= 0 {
                    cols.append(Int32(j * z + (r + Int(base[i][j])) % z))
                }
                starts.append(Int32(cols.count))
            }
        }
        rowStart = starts
        columns = cols
    }

    /// Parity-check rows (n − k).
    public var checks: Int { baseRows * z }

    /// Ones in H (edges of the Tanner graph).
    public var edges: Int { columns.count }

    /// `ldpc:N:R`, e.g. `ldpc:1944:1/2`.
    public var name: String { "ldpc:\(n):\(rate.rawValue)" }

    /// The systematic codeword (`k` information bits, then the parity) of `info` (k bits, 0/1).
    public func encode(_ info: [UInt8]) -> [UInt8] {
        precondition(info.count == k, "LDPC \(name) encodes exactly \(k) bits")
        let kb = 24 - baseRows
        var word = info + [UInt8](repeating: 0, count: n - k)
        // λ_i for every block row: XOR of the shifted information blocks.
        var lambda = [UInt8](repeating: 0, count: baseRows * z)
        word.withUnsafeMutableBufferPointer { c in
            lambda.withUnsafeMutableBufferPointer { lambda in
                for i in 0..<baseRows {
                    for j in 0..<kb where base[i][j] >= 0 {
                        let s = Int(base[i][j])
                        for r in 0..<z { lambda[i * z + r] ^= c[j * z + (r + s) % z] }
                    }
                }
                let p = kb * z  // offset of parity block q_t is p + t·z
                // p_0 = Σ λ_i (middle shift 0).
                for r in 0..<z {
                    var v: UInt8 = 0
                    for i in 0..<baseRows { v ^= lambda[i * z + r] }
                    c[p + r] = v
                }
                // Row 0: λ_0 + P¹p_0 + p_1 = 0.
                for r in 0..<z { c[p + z + r] = lambda[r] ^ c[p + (r + 1) % z] }
                // Row i (1 … mb−2): λ_i + p_i + p_{i+1} (+ p_0 in the middle row) = 0.
                for i in 1..<(baseRows - 1) {
                    for r in 0..<z {
                        var v = lambda[i * z + r] ^ c[p + i * z + r]
                        if i == middleRow { v ^= c[p + r] }
                        c[p + (i + 1) * z + r] = v
                    }
                }
            }
        }
        return word
    }

    /// Whether H·c = 0 (mod 2) for `word` (n bits, 0/1).
    public func isCodeword(_ word: [UInt8]) -> Bool {
        precondition(word.count == n, "a codeword of \(name) has \(n) bits")
        return word.withUnsafeBufferPointer { c in
            for r in 0..<checks {
                var parity: UInt8 = 0
                for e in Int(rowStart[r])..<Int(rowStart[r + 1]) { parity ^= c[Int(columns[e])] }
                if parity & 1 != 0 { return false }
            }
            return true
        }
    }
}
