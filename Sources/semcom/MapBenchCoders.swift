import CLosslessCoders
import Foundation
import Imaging
import MapCoding
import SemanticWire

/// One lossless coder `semcom map bench` compares: a name and an exact round trip of a label map's ids.
struct MapBenchCoder {
    let name: String
    /// What the bytes are (for the table's legend).
    let note: String
    let encode: (LabelMap) throws -> [UInt8]
    let decode: ([UInt8], LabelMap) throws -> [UInt8]

    /// The coders, best settings for size each.
    static func all(prior: MapPrior?, classCount: Int) -> [MapBenchCoder] {
        var coders: [MapBenchCoder] = []
        if let prior {
            coders.append(
                wirePayload(
                    "prior", "this coder, learned prior: the wire payload (range coder bytes only)", prior: prior,
                    classCount: classCount))
            coders.append(
                MapBenchCoder(
                    name: "prior-file", note: "the same as a `semcom map encode` file (header, checksum, prior id)",
                    encode: {
                        try MapCoder.encode(
                            ids: $0.ids, width: $0.width, height: $0.height, classCount: classCount, prior: prior)
                    },
                    decode: { bytes, _ in try MapCoder.decode(bytes, prior: prior).ids }))
        }
        coders.append(
            wirePayload(
                "context", "this coder without a prior (uniform starting counts), wire payload", prior: nil,
                classCount: classCount))
        coders.append(
            MapBenchCoder(
                name: "zlib-9", note: "zlib level 9 of the id bytes (the digital payload's coding)",
                encode: { Zlib.compress($0.ids, level: 9) },
                decode: { bytes, map in try Zlib.inflate(bytes, expectedLength: map.ids.count) }))
        coders.append(
            MapBenchCoder(
                name: "png", note: "8-bit grey PNG as semcom writes label maps",
                encode: { try PNG.encode($0) }, decode: { bytes, _ in try PNG.decodeLabels(bytes).ids }))
        coders += [
            bytewise("xz", "xz (LZMA2) preset 9 extreme, no check", semcom_xz_encode, semcom_xz_decode),
            bytewise("zstd-19", "zstd level 19", semcom_zstd_encode, semcom_zstd_decode),
            bytewise("brotli-11", "brotli quality 11, window 24", semcom_brotli_encode, semcom_brotli_decode),
            image(
                "webp-lossless", "WebP lossless, preset 9 (method 6), exact", semcom_webp_lossless_encode,
                semcom_webp_lossless_decode),
            image(
                "jxl-lossless", "JPEG XL lossless, effort 9, bare codestream", semcom_jxl_lossless_encode,
                semcom_jxl_lossless_decode),
        ]
        return coders
    }

    /// The range coder's bytes alone, as protocol 2's encoding 3 carries them.
    static func wirePayload(_ name: String, _ note: String, prior: MapPrior?, classCount: Int) -> MapBenchCoder {
        MapBenchCoder(
            name: name, note: note,
            encode: {
                MapCoder.modelBody(
                    ids: $0.ids, width: $0.width, height: $0.height, classCount: classCount, prior: prior)
            },
            decode: { bytes, map in
                try MapCoder.decodeBody(
                    bytes, width: map.width, height: map.height, classCount: classCount, prior: prior)
            })
    }

    typealias BufferCoder = (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UInt8>?, Int) -> Int
    typealias ImageEncoder = (UnsafePointer<UInt8>?, Int32, Int32, UnsafeMutablePointer<UInt8>?, Int) -> Int
    typealias ImageDecoder = (UnsafePointer<UInt8>?, Int, Int32, Int32, UnsafeMutablePointer<UInt8>?) -> Int

    /// Room for any coder's output: a map never codes to more than twice its bytes plus a header.
    static func capacity(_ map: LabelMap) -> Int { 2 * map.ids.count + 4096 }

    /// A coder of the id bytes as a byte string (`CLosslessCoders`).
    static func bytewise(
        _ name: String, _ note: String, _ encode: @escaping BufferCoder, _ decode: @escaping BufferCoder
    ) -> MapBenchCoder {
        buffered(
            name, note, encode: { map, out, room in encode(map.ids, map.ids.count, out, room) },
            decode: { bytes, map, out in decode(bytes, bytes.count, out, map.ids.count) })
    }

    /// A coder of the map as a grey image (`CLosslessCoders`).
    static func image(
        _ name: String, _ note: String, _ encode: @escaping ImageEncoder, _ decode: @escaping ImageDecoder
    ) -> MapBenchCoder {
        buffered(
            name, note,
            encode: { map, out, room in encode(map.ids, Int32(map.width), Int32(map.height), out, room) },
            decode: { bytes, map, out in decode(bytes, bytes.count, Int32(map.width), Int32(map.height), out) })
    }

    /// A C coder writing into a buffer: `encode` returns the bytes written (< 0: failed), `decode` the ids written
    /// (the map's pixel count when it worked).
    static func buffered(
        _ name: String, _ note: String,
        encode: @escaping (LabelMap, UnsafeMutablePointer<UInt8>?, Int) -> Int,
        decode: @escaping ([UInt8], LabelMap, UnsafeMutablePointer<UInt8>?) -> Int
    ) -> MapBenchCoder {
        MapBenchCoder(
            name: name, note: note,
            encode: { map in
                var out = [UInt8](repeating: 0, count: capacity(map))
                let n = out.withUnsafeMutableBufferPointer { encode(map, $0.baseAddress, $0.count) }
                guard n >= 0 else { throw MapBenchError("\(name): encoding failed") }
                return Array(out.prefix(n))
            },
            decode: { bytes, map in
                var out = [UInt8](repeating: 0, count: map.ids.count)
                let n = out.withUnsafeMutableBufferPointer { decode(bytes, map, $0.baseAddress) }
                guard n == map.ids.count else { throw MapBenchError("\(name): decoding failed") }
                return out
            })
    }
}

/// Bytes and time per coder over a set of maps.
struct MapBenchTable {
    private(set) var bytes: [String: Int] = [:]
    private(set) var nanoseconds: [String: UInt64] = [:]
    private(set) var order: [String] = []
    private(set) var notes: [String: String] = [:]

    mutating func measure(_ coder: MapBenchCoder, map: LabelMap, file: String) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let coded = try coder.encode(map)
        let decoded = try coder.decode(coded, map)
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        guard decoded == map.ids else { throw MapBenchError("\(coder.name): \(file) does not round-trip") }
        if bytes[coder.name] == nil {
            order.append(coder.name)
            notes[coder.name] = coder.note
        }
        bytes[coder.name, default: 0] += coded.count
        nanoseconds[coder.name, default: 0] += elapsed
    }

    func json(maps: Int, source: String, prior: MapPrior?) throws -> String {
        let n = Double(maps)
        let object: [String: Any] = [
            "maps": maps, "source": source,
            "prior": prior.map { String($0.identity, radix: 16) } ?? "none",
            "mean_bytes": bytes.mapValues { Double($0) / n },
            "encode_decode_ms": nanoseconds.mapValues { Double($0) / n / 1e6 },
        ]
        return String(
            decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    func text(maps: Int, source: String, prior: MapPrior?) -> String {
        let n = Double(maps)
        let zlib = Double(bytes["zlib-9"] ?? 0) / n
        var lines = ["\(maps) maps from \(source); mean bytes per map (fewer is better), encode + decode ms per map"]
        for name in order.sorted(by: { bytes[$0]! < bytes[$1]! }) {
            let mean = Double(bytes[name]!) / n
            lines.append(
                String(
                    format: "  %@ %9.1f B  %5.2fx below zlib-9  %8.2f ms  %@",
                    name.padding(toLength: 14, withPad: " ", startingAt: 0) as NSString, mean,
                    zlib / mean, Double(nanoseconds[name]!) / n / 1e6, notes[name]! as NSString))
        }
        return lines.joined(separator: "\n")
    }
}

struct MapBenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
