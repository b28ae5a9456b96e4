import Checksums
import SemanticWire

/// Lossless coding of a semantic label map with fewer bits than zlib: each pixel's class is range-coded
/// under adaptive counts conditioned on its causal neighbours (`NeighbourContexts`). When that would not
/// beat zlib-9 on a map (maps unlike street scenes), the stream carries zlib instead, flagged, so a map
/// never costs more than zlib plus the few header bytes.
///
/// Stream (docs/map-coding.md): `version·method` (1 byte: version 1 in the high nibble, method 0 =
/// context model, 1 = zlib-9), the class count (1 byte), width and height (LEB128 varints), the CRC-32 of
/// the pixel bytes (4 bytes, little-endian), then the body. Pixels are class ids below the class count or
/// void (255), row-major.
public enum MapCoder {
    /// The version this coder writes and reads.
    public static let version: UInt8 = 1
    /// Class counts the context model takes (its tables grow with the square of it); larger ones use zlib.
    public static let maxContextSymbols = 64
    static let voidID: UInt8 = 255

    public enum Method: UInt8, Sendable {
        case context = 0
        case zlib = 1
    }

    /// What went wrong decoding a stream (or encoding a map that is not one).
    public enum CodingError: Error, Equatable, CustomStringConvertible {
        case truncated(String)
        case unsupportedVersion(UInt8)
        case unknownMethod(UInt8)
        case invalidSize(width: Int, height: Int, limit: Int)
        case invalidLabel(UInt8, classCount: Int)
        case checksumMismatch
        case corruptBody(String)

        public var description: String {
            switch self {
            case .truncated(let what): "map stream truncated: \(what)"
            case .unsupportedVersion(let v): "map stream version \(v) is not supported (this coder reads 1)"
            case .unknownMethod(let m): "map stream method \(m) is unknown (0: context, 1: zlib)"
            case .invalidSize(let w, let h, let limit):
                "map size \(w)x\(h) is empty or over the limit of \(limit) pixels"
            case .invalidLabel(let id, let count):
                "label id \(id) is neither below the class count \(count) nor void (255)"
            case .checksumMismatch: "map stream checksum mismatch: the decoded pixels are not the coded ones"
            case .corruptBody(let why): "map stream body is corrupt: \(why)"
            }
        }
    }

    /// Codes `ids` (width × height class ids, row-major; void is 255).
    /// - Parameter method: nil picks the smaller of the context model and zlib.
    public static func encode(
        ids: [UInt8], width: Int, height: Int, classCount: Int, method: Method? = nil
    ) throws(CodingError) -> [UInt8] {
        guard width > 0, height > 0, ids.count == width * height else {
            throw .invalidSize(width: width, height: height, limit: ids.count)
        }
        guard (1...254).contains(classCount) else { throw .invalidLabel(0, classCount: classCount) }
        if let bad = ids.first(where: { Int($0) >= classCount && $0 != voidID }) {
            throw .invalidLabel(bad, classCount: classCount)
        }
        let zlib = method == .context ? nil : Zlib.compress(ids, level: 9)
        var body: [UInt8]
        var chosen = Method.zlib
        if method != .zlib, classCount + 1 <= maxContextSymbols {
            body = contextBody(ids: ids, width: width, height: height, symbols: classCount + 1)
            chosen = .context
            if let zlib, zlib.count <= body.count {
                body = zlib
                chosen = .zlib
            }
        } else {
            body = zlib ?? Zlib.compress(ids, level: 9)
        }
        var out: [UInt8] = [version << 4 | chosen.rawValue, UInt8(classCount)]
        appendVarint(width, to: &out)
        appendVarint(height, to: &out)
        let crc = CRC32.checksum(ids)
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: crc >> UInt32(shift))) }
        return out + body
    }

    /// The map in `stream`: its ids, size and class count.
    /// - Parameter maxPixels: the largest width × height accepted (what decoding may allocate).
    /// - Throws: `CodingError` for every malformed stream; time is O(pixels) whatever the bytes.
    public static func decode(_ stream: [UInt8], maxPixels: Int = 2048 * 2048) throws(CodingError) -> (
        ids: [UInt8], width: Int, height: Int, classCount: Int
    ) {
        guard stream.count >= 2 else { throw .truncated("no header") }
        guard stream[0] >> 4 == version else { throw .unsupportedVersion(stream[0] >> 4) }
        guard let method = Method(rawValue: stream[0] & 0x0F) else { throw .unknownMethod(stream[0] & 0x0F) }
        let classCount = Int(stream[1])
        guard (1...254).contains(classCount) else { throw .invalidLabel(0, classCount: classCount) }
        var position = 2
        let width = try readVarint(stream, at: &position), height = try readVarint(stream, at: &position)
        guard width > 0, height > 0, width <= maxPixels, height <= maxPixels / width else {
            throw .invalidSize(width: width, height: height, limit: maxPixels)
        }
        guard stream.count >= position + 4 else { throw .truncated("no checksum") }
        var crc: UInt32 = 0
        for i in 0..<4 { crc |= UInt32(stream[position + i]) << UInt32(8 * i) }
        position += 4
        let ids: [UInt8]
        switch method {
        case .zlib:
            do {
                ids = try Zlib.inflate(Array(stream[position...]), expectedLength: width * height)
            } catch {
                throw .corruptBody("\(error)")
            }
        case .context:
            guard classCount + 1 <= maxContextSymbols else { throw .invalidLabel(0, classCount: classCount) }
            ids = try contextPixels(stream, from: position, width: width, height: height, symbols: classCount + 1)
        }
        guard CRC32.checksum(ids) == crc else { throw .checksumMismatch }
        if let bad = ids.first(where: { Int($0) >= classCount && $0 != voidID }) {
            throw .invalidLabel(bad, classCount: classCount)
        }
        return (ids, width, height, classCount)
    }

    /// The method a stream was coded with.
    public static func method(of stream: [UInt8]) -> Method? { stream.first.flatMap { Method(rawValue: $0 & 0x0F) } }

    // MARK: The context model

    /// Symbol index of a label: its class, or `symbols − 1` for void.
    @inline(__always)
    static func symbol(_ id: UInt8, symbols: Int) -> UInt8 { id == voidID ? UInt8(symbols - 1) : id }

    static func contextBody(ids: [UInt8], width: Int, height: Int, symbols: Int) -> [UInt8] {
        let indices = ids.map { symbol($0, symbols: symbols) }
        var model = NeighbourContexts(symbols: symbols)
        var encoder = RangeCoder.Encoder()
        indices.withUnsafeBufferPointer { pixels in
            for y in 0..<height {
                for x in 0..<width {
                    let context = NeighbourContexts.context(pixels, x: x, y: y, width: width, symbols: symbols)
                    let s = Int(pixels[y * width + x])
                    let interval = model.interval(of: s, in: context)
                    encoder.encode(
                        cumulative: interval.cumulative, frequency: interval.frequency, total: model.total(context))
                    model.update(s, in: context)
                }
            }
        }
        return encoder.finish()
    }

    static func contextPixels(
        _ stream: [UInt8], from start: Int, width: Int, height: Int, symbols: Int
    ) throws(CodingError) -> [UInt8] {
        var model = NeighbourContexts(symbols: symbols)
        var decoder = RangeCoder.Decoder(stream, from: start)
        var indices = [UInt8](repeating: 0, count: width * height)
        indices.withUnsafeMutableBufferPointer { pixels in
            let view = UnsafeBufferPointer(pixels)
            for y in 0..<height {
                for x in 0..<width {
                    let context = NeighbourContexts.context(view, x: x, y: y, width: width, symbols: symbols)
                    let target = decoder.target(total: model.total(context))
                    let found = model.symbol(at: target, in: context)
                    decoder.consume(cumulative: found.cumulative, frequency: found.frequency)
                    model.update(found.symbol, in: context)
                    pixels[y * width + x] = UInt8(found.symbol)
                }
            }
        }
        guard !decoder.overran else { throw .truncated("the body ends before the last pixel") }
        return indices.map { $0 == UInt8(symbols - 1) ? voidID : $0 }
    }

    // MARK: Varints

    static func appendVarint(_ value: Int, to out: inout [UInt8]) {
        var v = UInt64(value)
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    static func readVarint(_ bytes: [UInt8], at position: inout Int) throws(CodingError) -> Int {
        var value = 0
        for shift in stride(from: 0, to: 35, by: 7) {
            guard position < bytes.count else { throw .truncated("a size field") }
            let byte = bytes[position]
            position += 1
            value |= Int(byte & 0x7F) << shift
            if byte < 0x80 { return value }
        }
        throw .corruptBody("a size field is longer than 5 bytes")
    }
}
