import FuzzSupport
import MapCoding

/// Fuzz target `map`: `MapCoder.decode` on arbitrary bytes (the label-map coder's stream, docs/map-coding.md),
/// with a 65,536-pixel limit. Checks beyond "no crash": a decoded map has the size its header gave, only ids
/// below its class count or void, and codes back to a stream that decodes to the same pixels.
///
/// Input: the stream as it is.
@main enum FuzzMap {
    static func main() {
        Fuzzer.run { bytes in
            guard let map = try? MapCoder.decode(bytes, maxPixels: 1 << 16) else { return }
            fuzzTrace("decoded \(map.width)x\(map.height), \(map.classCount) classes")
            fuzzCheck(map.ids.count == map.width * map.height, "pixel count differs from the header's size")
            fuzzCheck(
                map.ids.allSatisfy { Int($0) < map.classCount || $0 == 255 }, "a decoded id is out of range")
            let again = try? MapCoder.encode(
                ids: map.ids, width: map.width, height: map.height, classCount: map.classCount)
            fuzzCheck(again.flatMap { try? MapCoder.decode($0).ids } == map.ids, "re-coding changed the map")
        }
    }
}
