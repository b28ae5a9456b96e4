/// CRC-32 (IEEE 802.3: reflected polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF), the
/// check the physical layer appends to every code block to tell a decoded block good or bad.
/// `CRC32.checksum(Array("123456789".utf8)) == 0xCBF43926`.
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { i in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The CRC-32 of `bytes`.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        return c ^ 0xFFFF_FFFF
    }

    /// The CRC-32 of a bit sequence (0/1 per element, MSB-first bytes; length a multiple of 8).
    public static func checksum(bits: ArraySlice<UInt8>) -> UInt32 {
        checksum(BitPacking.pack(Array(bits)))
    }
}

/// Bits ↔ bytes, most significant bit first (bit 0 of a sequence is `bytes[0] & 0x80`), one bit per element.
public enum BitPacking {
    /// The bits of `bytes`, MSB first.
    public static func unpack(_ bytes: [UInt8]) -> [UInt8] {
        var bits = [UInt8](repeating: 0, count: bytes.count * 8)
        bits.withUnsafeMutableBufferPointer { out in
            for (i, byte) in bytes.enumerated() {
                for k in 0..<8 { out[8 * i + k] = (byte >> UInt8(7 - k)) & 1 }
            }
        }
        return bits
    }

    /// Packs bits MSB first; a final partial byte is zero-padded.
    public static func pack(_ bits: [UInt8]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: (bits.count + 7) / 8)
        for (i, b) in bits.enumerated() where b & 1 != 0 { bytes[i >> 3] |= 0x80 >> UInt8(i & 7) }
        return bytes
    }

    /// The 32 bits of `value`, MSB first.
    public static func bits(of value: UInt32) -> [UInt8] {
        (0..<32).map { UInt8((value >> UInt32(31 - $0)) & 1) }
    }
}
