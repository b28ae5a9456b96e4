import CZlib

/// CRC-32 as zlib computes it (ISO-HDLC / IEEE 802.3: polynomial 0x04C11DB7 reflected, initial value and
/// final XOR 0xFFFFFFFF); the check value of "123456789" is 0xCBF43926. The one CRC of the project: wire
/// frames and payloads (PROTOCOL.md) and the physical layer's code blocks use it.
public enum CRC32 {
    /// The CRC-32 of `bytes`, optionally continuing a CRC computed over preceding bytes.
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes, continuing crc: UInt32 = 0) -> UInt32
    where Bytes.Element == UInt8 {
        if let result = bytes.withContiguousStorageIfAvailable({ update(crc, $0) }) { return result }
        return Array(bytes).withUnsafeBufferPointer { update(crc, $0) }
    }

    private static func update(_ crc: UInt32, _ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        var value = uLong(crc)
        var offset = 0
        while offset < bytes.count {  // crc32 takes a 32-bit length: feed at most 1 GiB at a time
            let chunk = min(bytes.count - offset, 1 << 30)
            value = CZlib.crc32(value, base + offset, uInt(chunk))
            offset += chunk
        }
        return UInt32(truncatingIfNeeded: value)
    }
}

extension CRC32 {
    /// How logs, errors and file headers write a CRC-32 that names a file (a map prior, a SoftCast profile): `0x`
    /// and eight hex digits.
    public static func text(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
