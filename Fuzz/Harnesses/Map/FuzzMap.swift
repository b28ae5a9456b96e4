import Foundation
import FuzzSupport
import MapCoding

/// Fuzz target `map`: the label-map coder's decoders on arbitrary bytes (docs/map-coding.md). The first byte
/// picks what the rest is:
/// - 0: a stream for `MapCoder.decode` (65,536-pixel limit), decoded with the shipped prior;
/// - 1: two size bytes, then a range-coded body for `MapCoder.decodeBody` under the shipped prior (random
///   streams never name its identity, so this is how hostile bytes reach the prior's model);
/// - 2: a prior file for `MapPrior(bytes:)`.
/// Checks beyond "no crash": a decoded map has the size asked for, only ids below its class count or void, and
/// codes back to bytes that decode to the same pixels. The prior is read from `$SEMCOM_MAP_PRIOR` or
/// `models/map-prior/prior.safetensors` (run from the checkout, as `make fuzz` does).
@main enum FuzzMap {
    static let prior = try? MapPrior(
        path: ProcessInfo.processInfo.environment["SEMCOM_MAP_PRIOR"] ?? "models/map-prior/prior.safetensors")

    static func main() {
        fuzzCheck(prior != nil, "the shipped map prior did not load (run from the checkout or set SEMCOM_MAP_PRIOR)")
        Fuzzer.run { input in
            guard let mode = input.first else { return }
            let bytes = Array(input.dropFirst())
            switch mode % 3 {
            case 0: stream(bytes)
            case 1: body(bytes)
            default: _ = try? MapPrior(bytes: bytes)
            }
        }
    }

    static func stream(_ bytes: [UInt8]) {
        guard let map = try? MapCoder.decode(bytes, prior: prior, maxPixels: 1 << 16) else { return }
        fuzzTrace("decoded \(map.width)x\(map.height), \(map.classCount) classes")
        fuzzCheck(map.ids.count == map.width * map.height, "pixel count differs from the header's size")
        fuzzCheck(map.ids.allSatisfy { Int($0) < map.classCount || $0 == 255 }, "a decoded id is out of range")
        let again = try? MapCoder.encode(
            ids: map.ids, width: map.width, height: map.height, classCount: map.classCount, prior: prior)
        fuzzCheck(again.flatMap { try? MapCoder.decode($0, prior: prior).ids } == map.ids, "re-coding changed the map")
    }

    static func body(_ bytes: [UInt8]) {
        guard bytes.count >= 2, let prior else { return }
        let width = Int(bytes[0] % 64) + 1, height = Int(bytes[1] % 64) + 1
        guard
            let ids = try? MapCoder.decodeBody(
                Array(bytes.dropFirst(2)), width: width, height: height, classCount: prior.classCount, prior: prior)
        else { return }
        fuzzCheck(ids.count == width * height, "pixel count differs from the size asked for")
        fuzzCheck(ids.allSatisfy { Int($0) < prior.classCount || $0 == 255 }, "a decoded id is out of range")
        let again = MapCoder.modelBody(
            ids: ids, width: width, height: height, classCount: prior.classCount, prior: prior)
        fuzzCheck(
            (try? MapCoder.decodeBody(again, width: width, height: height, classCount: prior.classCount, prior: prior))
                == ids, "re-coding changed the map")
    }
}
