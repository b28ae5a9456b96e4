import Foundation
import Imaging
import MapCoding
import Randomness
import Scenes
import SemanticWire
import Testing

@Suite("Map coder: exact round trips, fewer bytes than zlib on scene maps, never much more elsewhere")
struct MapCoderTests {
    /// Held-out scene maps (seed 9001: used by no training or evaluation default).
    static let scenes: [LabelMap] = {
        let generator = StreetSceneGenerator()
        return (0..<40).map { generator.scene(seed: 9001, index: $0).labels }
    }()

    /// The shipped prior (models/map-prior), learned from the generator's training scenes (seed 1).
    static let prior: MapPrior = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try! MapPrior(path: root.appendingPathComponent("models/map-prior/prior.safetensors").path)
    }()

    @Test("without a prior every scene map round-trips exactly, and the context model beats zlib-9 on them")
    func sceneMaps() throws {
        var coded = 0, zlib = 0
        for map in Self.scenes {
            let stream = try MapCoder.encode(ids: map.ids, width: map.width, height: map.height, classCount: 19)
            #expect(MapCoder.method(of: stream) == .context)
            let decoded = try MapCoder.decode(stream)
            #expect(decoded.ids == map.ids && decoded.width == map.width && decoded.height == map.height)
            coded += stream.count
            zlib += Zlib.compress(map.ids, level: 9).count
        }
        print("map coder, no prior: 40 held-out 64x128 scene maps, \(coded / 40) B mean against zlib-9 \(zlib / 40) B")
        #expect(Double(zlib) / Double(coded) >= 1.4, "\(coded) B against zlib \(zlib) B")
    }

    @Test("with the shipped prior: 3x fewer bytes than zlib-9 on the wire, exact round trips")
    func sceneMapsWithPrior() throws {
        var body = 0, file = 0, zlib = 0
        for map in Self.scenes {
            let bytes = MapCoder.modelBody(
                ids: map.ids, width: map.width, height: map.height, classCount: 19, prior: Self.prior)
            #expect(
                try MapCoder.decodeBody(bytes, width: map.width, height: map.height, classCount: 19, prior: Self.prior)
                    == map.ids)
            let stream = try MapCoder.encode(
                ids: map.ids, width: map.width, height: map.height, classCount: 19, prior: Self.prior)
            #expect(MapCoder.method(of: stream) == .prior)
            #expect(try MapCoder.decode(stream, prior: Self.prior).ids == map.ids)
            body += bytes.count
            file += stream.count
            zlib += Zlib.compress(map.ids, level: 9).count
        }
        print(
            "map coder, prior: \(Double(body) / 40) B per map on the wire, \(Double(file) / 40) B as a file, zlib-9 \(Double(zlib) / 40) B"
        )
        #expect(Double(zlib) / Double(body) >= 3.0, "\(body) B against zlib \(zlib) B")
        #expect(Double(zlib) / Double(file) >= 2.7, "\(file) B against zlib \(zlib) B")
    }

    @Test("a stream coded with one prior is refused by a decoder holding another, or none")
    func priorMismatch() throws {
        let map = Self.scenes[2]
        let stream = try MapCoder.encode(
            ids: map.ids, width: map.width, height: map.height, classCount: 19, prior: Self.prior)
        let other = try MapPrior.learn(
            maps: Self.scenes.prefix(3).map { ($0.ids, $0.width, $0.height) }, classCount: 19, minimumCount: 1)
        #expect(throws: MapCoder.CodingError.priorMismatch(stream: Self.prior.identity, have: other.identity)) {
            try MapCoder.decode(stream, prior: other)
        }
        #expect(throws: MapCoder.CodingError.priorMismatch(stream: Self.prior.identity, have: nil)) {
            try MapCoder.decode(stream)
        }
        // A prior for another class count is not used: the stream falls back to the uniform model.
        let eight = try MapCoder.encode(ids: [0, 1, 2, 7], width: 2, height: 2, classCount: 8, prior: Self.prior)
        #expect(MapCoder.method(of: eight) != .prior)
    }

    @Test("learning is deterministic, and the file reads back to the same prior")
    func learning() throws {
        let maps = Self.scenes.prefix(5).map { ($0.ids, $0.width, $0.height) }
        let a = try MapPrior.learn(maps: maps, classCount: 19, minimumCount: 1, metadata: ["source": "test"])
        let b = try MapPrior.learn(maps: maps, classCount: 19, minimumCount: 1, metadata: ["source": "test"])
        #expect(a.bytes == b.bytes && a.identity == b.identity)
        let read = try MapPrior(bytes: a.bytes)
        #expect(read.identity == a.identity && read.fineContexts == a.fineContexts && read.classCount == 19)
        #expect(Self.prior.classCount == 19 && Self.prior.metadata["maps"] == "10000")
    }

    @Test("a malformed prior file is refused with a reason, never a crash")
    func malformedPrior() throws {
        let good = Self.prior.bytes
        for bad in [
            [], Array(good.prefix(7)), Array(good.prefix(200)),
            [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0] + good.dropFirst(8),
            Array(good.dropLast(1)),
        ] {
            #expect(throws: MapPrior.LoadError.self) { try MapPrior(bytes: Array(bad)) }
        }
        var unsorted = good
        // The first two fine keys swapped: the table must be strictly ascending.
        let headerLength = Int(good[0]) | Int(good[1]) << 8 | Int(good[2]) << 16
        let keys = 8 + headerLength + 1764 * 20
        for i in 0..<8 { unsorted.swapAt(keys + i, keys + 8 + i) }
        #expect(throws: MapPrior.LoadError.self) { try MapPrior(bytes: unsorted) }
    }

    @Test("the range coder's shortened flush decodes every map exactly, small and odd-sized ones too")
    func shortFlush() throws {
        var random = SeededGenerator(seed: 77)
        for _ in 0..<200 {
            let w = Int(random.next() % 9) + 1, h = Int(random.next() % 9) + 1
            let classes = Int(random.next() % 4) + 1
            let ids = (0..<(w * h)).map { _ in
                random.next() % 7 == 0 ? UInt8(255) : UInt8(random.next() % UInt64(classes))
            }
            for prior in [nil, classes == 19 ? Self.prior : nil] {
                let body = MapCoder.modelBody(ids: ids, width: w, height: h, classCount: classes, prior: prior)
                #expect(try MapCoder.decodeBody(body, width: w, height: h, classCount: classes, prior: prior) == ids)
            }
        }
    }

    /// Maps unlike street scenes: the stream falls back to zlib and costs at most its header more.
    static func foreign() -> [(String, [UInt8], Int, Int)] {
        var random = SeededGenerator(seed: 5)
        let w = 128, h = 64
        let iid = (0..<(w * h)).map { _ in UInt8(random.next() % 19) }
        let stripes = (0..<(w * h)).map { UInt8(($0 % w) / 4 % 19) }
        let checker = (0..<(w * h)).map { UInt8(((($0 % w) + ($0 / w)) % 2) * 7) }
        let voids = [UInt8](repeating: 255, count: w * h)
        return [("iid", iid, w, h), ("stripes", stripes, w, h), ("checkerboard", checker, w, h), ("void", voids, w, h)]
    }

    @Test("foreign maps round-trip and never cost more than zlib-9 plus the 9-byte header")
    func foreignMaps() throws {
        for (name, ids, w, h) in Self.foreign() {
            for prior in [nil, Self.prior] {
                let stream = try MapCoder.encode(ids: ids, width: w, height: h, classCount: 19, prior: prior)
                #expect(try MapCoder.decode(stream, prior: prior).ids == ids, "\(name)")
                #expect(stream.count <= Zlib.compress(ids, level: 9).count + 9, "\(name)")
            }
        }
    }

    @Test("every method decodes, whichever is forced")
    func forcedMethods() throws {
        let map = Self.scenes[0]
        for method in [MapCoder.Method.context, .zlib, .prior] {
            let stream = try MapCoder.encode(
                ids: map.ids, width: map.width, height: map.height, classCount: 19, prior: Self.prior, method: method)
            #expect(MapCoder.method(of: stream) == method)
            #expect(try MapCoder.decode(stream, prior: Self.prior).ids == map.ids)
        }
    }

    @Test("malformed streams give a typed error, never a crash; truncations are caught")
    func malformed() throws {
        let map = Self.scenes[1]
        let stream = try MapCoder.encode(
            ids: map.ids, width: map.width, height: map.height, classCount: 19, method: .context)
        #expect(throws: MapCoder.CodingError.self) { try MapCoder.decode([]) }
        #expect(throws: MapCoder.CodingError.unsupportedVersion(2)) {
            try MapCoder.decode([0x20, 19, 1, 1, 0, 0, 0, 0])
        }
        #expect(throws: MapCoder.CodingError.unknownMethod(7)) { try MapCoder.decode([0x17, 19, 1, 1, 0, 0, 0, 0]) }
        // A size over the limit is refused before anything is allocated.
        #expect(throws: MapCoder.CodingError.invalidSize(width: 100_000, height: 100_000, limit: 2048 * 2048)) {
            try MapCoder.decode([0x10, 19, 0xA0, 0x8D, 0x06, 0xA0, 0x8D, 0x06, 0, 0, 0, 0])
        }
        for cut in [3, 9, stream.count / 2, stream.count - 1] {
            #expect(throws: MapCoder.CodingError.self) { try MapCoder.decode(Array(stream.prefix(cut))) }
        }
        var flipped = stream
        flipped[flipped.count / 2] ^= 0x40
        #expect(throws: MapCoder.CodingError.self) { try MapCoder.decode(flipped) }
        #expect(throws: MapCoder.CodingError.invalidLabel(30, classCount: 19)) {
            try MapCoder.encode(ids: [30], width: 1, height: 1, classCount: 19)
        }
    }
}
