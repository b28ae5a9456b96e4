/// Unsigned LEB128 varints (7 bits a byte, least significant group first, high bit = more follow), the length
/// format of AV1's OBUs, also used for the HEVC carriage's NAL lengths.
enum LEB128 {
    /// Appends `value` in as few bytes as it needs (1 byte below 128, 2 below 16 384).
    static func append(_ value: Int, to bytes: inout [UInt8]) {
        precondition(value >= 0, "LEB128 holds non-negative values")
        var rest = UInt(value)
        repeat {
            let group = UInt8(rest & 0x7F)
            rest >>= 7
            bytes.append(rest == 0 ? group : group | 0x80)
        } while rest != 0
    }

    /// Reads a varint at `offset` in `bytes`, advancing `offset` past it; nil when it runs past the end, uses
    /// more than 8 bytes (AV1's limit) or exceeds `Int32.max` — no length in these streams is larger.
    static func read(_ bytes: ArraySlice<UInt8>, at offset: inout Int) -> Int? {
        var value = 0
        for index in 0..<8 {
            guard offset < bytes.endIndex else { return nil }
            let byte = bytes[offset]
            offset += 1
            value |= Int(byte & 0x7F) << (7 * index)
            guard value <= Int(Int32.max) else { return nil }
            if byte & 0x80 == 0 { return value }
        }
        return nil
    }
}
