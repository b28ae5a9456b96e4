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

    static func ids(_ map: LabelMap) -> [UInt8] { map.ids }

    @Test("every scene map round-trips exactly, and the context model beats zlib-9 on them")
    func sceneMaps() throws {
        var coded = 0, zlib = 0
        for map in Self.scenes {
            let stream = try MapCoder.encode(ids: map.ids, width: map.width, height: map.height, classCount: 19)
            let decoded = try MapCoder.decode(stream)
            #expect(decoded.ids == map.ids && decoded.width == map.width && decoded.height == map.height)
            coded += stream.count
            zlib += Zlib.compress(map.ids, level: 9).count
        }
        print("map coder: 40 held-out 64x128 scene maps, \(coded / 40) B mean against zlib-9 \(zlib / 40) B")
        #expect(Double(zlib) / Double(coded) >= 1.3, "\(coded) B against zlib \(zlib) B")
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
            let stream = try MapCoder.encode(ids: ids, width: w, height: h, classCount: 19)
            #expect(try MapCoder.decode(stream).ids == ids, "\(name)")
            #expect(stream.count <= Zlib.compress(ids, level: 9).count + 9, "\(name)")
        }
    }

    @Test("both methods decode, whichever is forced")
    func forcedMethods() throws {
        let map = Self.scenes[0]
        for method in [MapCoder.Method.context, .zlib] {
            let stream = try MapCoder.encode(
                ids: map.ids, width: map.width, height: map.height, classCount: 19, method: method)
            #expect(MapCoder.method(of: stream) == method)
            #expect(try MapCoder.decode(stream).ids == map.ids)
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
