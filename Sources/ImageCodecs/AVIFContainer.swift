/// The few ISO-BMFF (HEIF/AVIF) boxes the AVIF carriage touches: finding the coded data libavif wrote, and
/// rebuilding the smallest file libavif will read around carried AV1 data.
enum AVIFContainer {
    /// The payload of the top-level `mdat` box of an AVIF file; nil when the top-level boxes do not parse or
    /// there is no `mdat`. For a single colour image without alpha or metadata, libavif's `mdat` holds just
    /// that image's AV1 data.
    static func mediaData(of file: [UInt8]) -> ArraySlice<UInt8>? {
        var offset = 0
        while offset + 8 <= file.count {
            var size = Int(readUInt32(file, at: offset))
            let type = String(decoding: file[(offset + 4)..<(offset + 8)], as: UTF8.self)
            var header = 8
            if size == 1 {  // 64-bit size follows
                guard offset + 16 <= file.count else { return nil }
                let large = UInt64(readUInt32(file, at: offset + 8)) << 32 | UInt64(readUInt32(file, at: offset + 12))
                guard large <= UInt64(file.count) else { return nil }
                size = Int(large)
                header = 16
            } else if size == 0 {  // extends to the end of the file
                size = file.count - offset
            }
            guard size >= header, size <= file.count - offset else { return nil }
            if type == "mdat" { return file[(offset + header)..<(offset + size)] }
            offset += size
        }
        return nil
    }

    /// A complete AVIF file with one primary AV1 image item of `width` × `height` whose data is `itemData`
    /// and whose `av1C` is `configuration` (record plus config OBUs): `ftyp`, `meta` (`hdlr`, `pitm`, `iloc`,
    /// `iinf`, `iprp` with `ispe`, `av1C`, `pixi`), `mdat`. About 230 bytes plus the data; this is what the
    /// receiver rebuilds, it never crosses the channel.
    static func file(itemData: [UInt8], width: Int, height: Int, configuration: [UInt8], depth: UInt8) -> [UInt8] {
        let ftyp = box("ftyp", fourCC("avif") + uint32(0) + fourCC("avif") + fourCC("mif1") + fourCC("miaf"))
        func meta(dataOffset: Int) -> [UInt8] {
            let hdlr = fullBox("hdlr", payload: uint32(0) + fourCC("pict") + uint32(0) + uint32(0) + uint32(0) + [0])
            let pitm = fullBox("pitm", payload: uint16(1))
            // offset_size 4, length_size 4, base_offset_size 0; one item, one extent.
            let iloc = fullBox(
                "iloc",
                payload: [0x44, 0x00] + uint16(1) + uint16(1) + uint16(0) + uint16(1) + uint32(dataOffset)
                    + uint32(itemData.count))
            let infe = fullBox("infe", version: 2, payload: uint16(1) + uint16(0) + fourCC("av01") + [0])
            let iinf = fullBox("iinf", payload: uint16(1) + infe)
            let ispe = fullBox("ispe", payload: uint32(width) + uint32(height))
            let av1C = box("av1C", configuration)
            let pixi = fullBox("pixi", payload: [3, depth, depth, depth])
            let ipco = box("ipco", ispe + av1C + pixi)
            // Property indices are 1-based; av1C is essential (high bit).
            let ipma = fullBox("ipma", payload: uint32(1) + uint16(1) + [3, 0x01, 0x82, 0x03])
            let iprp = box("iprp", ipco + ipma)
            return fullBox("meta", payload: hdlr + pitm + iloc + iinf + iprp)
        }
        // The meta box's size does not depend on the offset value, so measure it once with a placeholder.
        let dataOffset = ftyp.count + meta(dataOffset: 0).count + 8
        return ftyp + meta(dataOffset: dataOffset) + box("mdat", itemData)
    }

    private static func box(_ type: String, _ payload: [UInt8]) -> [UInt8] {
        uint32(8 + payload.count) + fourCC(type) + payload
    }

    private static func fullBox(_ type: String, version: UInt8 = 0, payload: [UInt8]) -> [UInt8] {
        box(type, [version, 0, 0, 0] + payload)
    }

    private static func fourCC(_ code: String) -> [UInt8] { Array(code.utf8) }

    private static func uint16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }

    private static func uint32(_ value: Int) -> [UInt8] {
        [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    private static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }
}
