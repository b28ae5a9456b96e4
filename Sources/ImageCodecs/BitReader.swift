/// Reads big-endian bit fields from a byte buffer, as the AV1 and HEVC headers are written; every read is
/// bounds-checked and returns nil past the end, so a truncated header fails instead of reading beyond it.
struct BitReader {
    private let bytes: [UInt8]
    private var bit = 0

    init<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        self.bytes = Array(bytes)
    }

    /// Bits not yet read.
    var remaining: Int { 8 * bytes.count - bit }

    /// An unsigned field of `count` bits (0…32), most significant first: AV1's f(n), HEVC's u(n).
    mutating func bits(_ count: Int) -> UInt32? {
        precondition((0...32).contains(count))
        guard count <= remaining else { return nil }
        var value: UInt64 = 0
        for _ in 0..<count {
            let byte = bytes[bit >> 3]
            value = value << 1 | UInt64((byte >> (7 - UInt8(bit & 7))) & 1)
            bit += 1
        }
        return UInt32(value)
    }

    /// One bit as a flag.
    mutating func flag() -> Bool? { bits(1).map { $0 == 1 } }

    /// An unsigned Exp-Golomb code, HEVC's ue(v); nil past the end or above 2³² − 2.
    mutating func exponentialGolomb() -> UInt32? {
        guard let zeros = leadingZeros(), zeros < 32 else { return nil }
        return suffixed(zeros)
    }

    /// AV1's uvlc(): like Exp-Golomb, but 32 or more leading zeros mean 2³² − 1.
    mutating func uvlc() -> UInt32? {
        guard let zeros = leadingZeros() else { return nil }
        return zeros >= 32 ? UInt32.max : suffixed(zeros)
    }

    /// The zero bits before the next one bit, which is read too; nil past the end.
    private mutating func leadingZeros() -> Int? {
        var zeros = 0
        while true {
            guard let b = bits(1) else { return nil }
            if b == 1 { return zeros }
            zeros += 1
        }
    }

    /// 2^zeros − 1 plus the next `zeros` bits (zeros < 32); nil past the end.
    private mutating func suffixed(_ zeros: Int) -> UInt32? {
        guard let suffix = bits(zeros) else { return nil }
        return UInt32((UInt64(1) << zeros) - 1 + UInt64(suffix))
    }

    /// Skips `count` bits; false when fewer remain.
    mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, count <= remaining else { return false }
        bit += count
        return true
    }
}
