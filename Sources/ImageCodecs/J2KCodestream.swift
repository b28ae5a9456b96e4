/// The main header of a J2K codestream: SOC, then marker segments (a 2-byte marker and a 2-byte big-endian
/// length that counts itself) up to the first SOT, where the tile data begins.
enum J2KCodestream {
    static let soc: UInt16 = 0xFF4F
    static let sot: UInt16 = 0xFF90
    static let com: UInt16 = 0xFF64

    /// `codestream` without its COM (comment) marker segments; nil when the main header does not parse.
    /// Comments are informative only (ISO 15444-1 A.9.2), so dropping them changes no decoded pixel.
    static func droppingComments(_ codestream: [UInt8]) -> [UInt8]? {
        guard codestream.count >= 2, marker(codestream, at: 0) == soc else { return nil }
        var lean = [UInt8](codestream[0..<2])
        var offset = 2
        while true {
            guard offset + 4 <= codestream.count else { return nil }
            let code = marker(codestream, at: offset)
            if code == sot { break }
            let length = Int(marker(codestream, at: offset + 2))
            guard code >> 8 == 0xFF, length >= 2, offset + 2 + length <= codestream.count else { return nil }
            if code != com { lean += codestream[offset..<(offset + 2 + length)] }
            offset += 2 + length
        }
        lean += codestream[offset...]
        return lean
    }

    private static func marker(_ bytes: [UInt8], at offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
}
