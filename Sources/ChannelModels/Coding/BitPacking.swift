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
