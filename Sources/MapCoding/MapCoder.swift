import Checksums
import SemanticWire

/// Lossless coding of a semantic label map with fewer bits than zlib: each pixel's class is range-coded
/// under adaptive counts conditioned on its causal neighbours (`NeighbourContexts`). When that would not
/// beat zlib-9 on a map (maps unlike street scenes), the stream carries zlib instead, flagged, so a map
/// never costs more than zlib plus the few header bytes.
///
/// Stream (docs/map-coding.md): `version·method` (1 byte: version 1 in the high nibble, method 0 =
/// context model, 1 = zlib-9, 2 = context model with a learned prior), the class count (1 byte), width and
/// height (LEB128 varints), the CRC-32 of the pixel bytes (4 bytes, little-endian), for method 2 the prior's
/// identity (4 bytes, little-endian), then the body. Pixels are class ids below the class count or void (255),
/// row-major. The wire (PROTOCOL.md §6.3) carries the body alone: its control part holds the rest.
public enum MapCoder {
    /// The version this coder writes and reads.
    public static let version: UInt8 = 1
    /// Class counts the context model takes (its tables grow with the square of it); larger ones use zlib.
    public static let maxContextSymbols = 64
    static let voidID: UInt8 = 255

    public enum Method: UInt8, Sendable {
        /// Adaptive counts from uniform, coarse neighbourhood contexts.
        case context = 0
        case zlib = 1
        /// Adaptive counts from a learned `MapPrior`, fine contexts.
        case prior = 2
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
        case priorMismatch(stream: UInt32, have: UInt32?)

        public var description: String {
            switch self {
            case .truncated(let what): "map stream truncated: \(what)"
            case .unsupportedVersion(let v): "map stream version \(v) is not supported (this coder reads 1)"
            case .unknownMethod(let m): "map stream method \(m) is unknown (0: context, 1: zlib, 2: prior)"
            case .invalidSize(let w, let h, let limit):
                "map size \(w)x\(h) is empty or over the limit of \(limit) pixels"
            case .invalidLabel(let id, let count):
                "label id \(id) is neither below the class count \(count) nor void (255)"
            case .checksumMismatch: "map stream checksum mismatch: the decoded pixels are not the coded ones"
            case .corruptBody(let why): "map stream body is corrupt: \(why)"
            case .priorMismatch(let stream, let have):
                "the map was coded with prior \(MapPrior.text(identity: stream)); "
                    + (have.map { "this decoder has \(MapPrior.text(identity: $0))" }
                        ?? "this decoder has none for its class count")
            }
        }
    }

    /// Codes `ids` (width × height class ids, row-major; void is 255).
    /// - Parameter method: nil picks the smaller of the context model and zlib.
    /// - Parameter prior: used when it was learned for `classCount` classes (method 2); else method 0.
    public static func encode(
        ids: [UInt8], width: Int, height: Int, classCount: Int, prior: MapPrior? = nil, method: Method? = nil
    ) throws(CodingError) -> [UInt8] {
        guard width > 0, height > 0, ids.count == width * height else {
            throw .invalidSize(width: width, height: height, limit: ids.count)
        }
        guard (1...254).contains(classCount) else { throw .invalidLabel(0, classCount: classCount) }
        if let bad = ids.first(where: { Int($0) >= classCount && $0 != voidID }) {
            throw .invalidLabel(bad, classCount: classCount)
        }
        let usable = prior?.classCount == classCount ? prior : nil
        let model: Method = method == .context || usable == nil ? .context : .prior
        let zlib = method == nil || method == .zlib ? Zlib.compress(ids, level: 9) : nil
        var body: [UInt8]
        var chosen = Method.zlib
        if method != .zlib, classCount + 1 <= maxContextSymbols {
            body = modelBody(
                ids: ids, width: width, height: height, classCount: classCount, prior: model == .prior ? usable : nil)
            chosen = model
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
        appendLittleEndian(crc, to: &out)
        if chosen == .prior, let usable { appendLittleEndian(usable.identity, to: &out) }
        return out + body
    }

    /// The map in `stream`: its ids, size and class count.
    /// - Parameter maxPixels: the largest width × height accepted (what decoding may allocate).
    /// - Throws: `CodingError` for every malformed stream; time is O(pixels) whatever the bytes.
    /// - Parameter prior: the prior a method-2 stream was coded with (checked by identity).
    public static func decode(_ stream: [UInt8], prior: MapPrior? = nil, maxPixels: Int = 2048 * 2048)
        throws(CodingError) -> (
            ids: [UInt8], width: Int, height: Int, classCount: Int
        )
    {
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
        let crc = try readLittleEndian(stream, at: &position, what: "no checksum")
        let ids: [UInt8]
        switch method {
        case .zlib:
            do {
                ids = try Zlib.inflate(Array(stream[position...]), expectedLength: width * height)
            } catch {
                throw .corruptBody("\(error)")
            }
        case .context:
            ids = try decodeBody(
                stream, from: position, width: width, height: height, classCount: classCount, prior: nil)
        case .prior:
            let identity = try readLittleEndian(stream, at: &position, what: "no prior identity")
            guard let prior, prior.identity == identity, prior.classCount == classCount else {
                throw .priorMismatch(stream: identity, have: prior?.identity)
            }
            ids = try decodeBody(
                stream, from: position, width: width, height: height, classCount: classCount, prior: prior)
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

    /// The range coder's bytes for the map (no header): what the wire's context-coded payload carries.
    /// - Parameter prior: one learned for `classCount` classes, or nil for uniform starting counts.
    public static func modelBody(
        ids: [UInt8], width: Int, height: Int, classCount: Int, prior: MapPrior?
    ) -> [UInt8] {
        let symbols = classCount + 1
        let indices = ids.map { symbol($0, symbols: symbols) }
        var model = PixelModel(symbols: symbols, width: width, height: height, prior: prior)
        var encoder = RangeCoder.Encoder()
        indices.withUnsafeBufferPointer { pixels in
            for y in 0..<height {
                model.startRow(y, of: pixels)
                for x in 0..<width {
                    let slot = model.slot(pixels, x: x, y: y)
                    let s = Int(pixels[y * width + x])
                    let interval = model.counts.interval(of: s, in: slot)
                    encoder.encode(
                        cumulative: interval.cumulative, frequency: interval.frequency, total: model.total(slot))
                    model.update(s, in: slot)
                }
            }
        }
        return encoder.finish()
    }

    /// The ids of a map whose range-coded body starts at `start` in `bytes` (see `modelBody`).
    /// - Throws: `.truncated` when the body ends well before the last pixel, `.invalidLabel` for a class count
    ///   the model does not take. A body that is wrong but long enough decodes to some map: the caller's
    ///   checksum (the stream's, or the wire payload's CRC) is what refuses it. Time is O(pixels) whatever the
    ///   bytes.
    public static func decodeBody(
        _ bytes: [UInt8], from start: Int = 0, width: Int, height: Int, classCount: Int, prior: MapPrior?
    ) throws(CodingError) -> [UInt8] {
        let symbols = classCount + 1
        guard symbols <= maxContextSymbols else { throw .invalidLabel(0, classCount: classCount) }
        var model = PixelModel(symbols: symbols, width: width, height: height, prior: prior)
        var decoder = RangeCoder.Decoder(bytes, from: start)
        var indices = [UInt8](repeating: 0, count: width * height)
        indices.withUnsafeMutableBufferPointer { pixels in
            let view = UnsafeBufferPointer(pixels)
            for y in 0..<height {
                model.startRow(y, of: view)
                for x in 0..<width {
                    let slot = model.slot(view, x: x, y: y)
                    let target = decoder.target(total: model.total(slot))
                    let found = model.counts.symbol(at: target, in: slot)
                    decoder.consume(cumulative: found.cumulative, frequency: found.frequency)
                    model.update(found.symbol, in: slot)
                    pixels[y * width + x] = UInt8(found.symbol)
                }
            }
        }
        guard !decoder.overran else { throw .truncated("the body ends before the last pixel") }
        return indices.map { $0 == UInt8(symbols - 1) ? voidID : $0 }
    }

    // MARK: Fixed-size fields

    static func appendLittleEndian(_ value: UInt32, to out: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    static func readLittleEndian(_ bytes: [UInt8], at position: inout Int, what: String) throws(CodingError) -> UInt32 {
        guard bytes.count >= position + 4 else { throw .truncated(what) }
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[position + i]) << UInt32(8 * i) }
        position += 4
        return value
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
