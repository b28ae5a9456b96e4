import FuzzSupport
import Imaging

/// Fuzz target `png`: the PNG reader (`Imaging.PNG` over the system libpng's simplified API), both ways
/// it is used: `decodeLabels` (label maps: the sender's `LabelSource`, datasets, `semcom generate`) then
/// `LabelMap.validate`, and `decodeRGB` (images). The input is a PNG file.
///
/// libpng rejects a critical chunk whose CRC is wrong, and the system libpng carries no coverage
/// instrumentation, so the fuzzer could not learn to fix CRCs: each input is decoded as given and, when
/// that differs, with every complete chunk's CRC recomputed. Checks beyond "no crash": a decoded label
/// map or image holds exactly width·height pixels, and a label map re-encodes to a PNG that decodes to it.
@main enum FuzzPNG {
    static func main() {
        Fuzzer.run { bytes in
            decode(bytes)
            let repaired = repairChunkCRCs(bytes)
            if repaired != bytes { decode(repaired) }
        }
    }

    static func decode(_ bytes: [UInt8]) {
        do {
            let map = try PNG.decodeLabels(bytes)
            fuzzTrace("label map \(map.width)×\(map.height), ids \(map.ids.prefix(16))")
            fuzzCheck(
                map.ids.count == map.width * map.height,
                "label map \(map.width)×\(map.height) has \(map.ids.count) ids")
            _ = try? map.validate(classCount: Cityscapes.classCount, source: "fuzz")
            fuzzCheck((try? PNG.decodeLabels(PNG.encode(map))) == map, "label map does not survive a PNG round trip")
        } catch {
            fuzzTrace("labels refused: \(error)")
        }
        do {
            let image = try PNG.decodeRGB(bytes)
            fuzzTrace("image \(image.width)×\(image.height)")
            fuzzCheck(
                image.pixels.count == 3 * image.width * image.height,
                "image \(image.width)×\(image.height) has \(image.pixels.count) bytes")
        } catch {
            fuzzTrace("image refused: \(error)")
        }
    }

    /// `bytes` with the CRC-32 of every complete chunk after the 8-byte signature recomputed.
    static func repairChunkCRCs(_ bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        var offset = 8
        while offset + 12 <= out.count {
            let length = out[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            let end = offset + 8 + length
            guard end + 4 <= out.count else { break }
            let crc = crc32(out[(offset + 4)..<end])
            for i in 0..<4 { out[end + i] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * i)) }
            offset = end + 4
        }
        return out
    }
}
