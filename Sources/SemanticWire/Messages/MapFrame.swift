import Checksums
import NIOCore

/// How the symbols of an analog MAP_FRAME are laid out (the CRC-protected part of GESCO's frame).
public struct AnalogLayout: Sendable, Equatable {
    /// Block size of the downsampling: one of `factors` (pixels per side).
    public var downsample: UInt8

    /// The block sizes the wire allows: 1, 2, 4 and 8 pixels per side (8 since the equal-budget sweep: GESCO's
    /// one-hot map of a 64x128 image fits ρ = 1/12 only at 8).
    public static let factors: [Int] = [1, 2, 4, 8]
    /// How each symbol is stored.
    public var sampleFormat: SampleFormat
    /// Class ids that have a symbol plane, strictly ascending, each `< classCount`. GESCO's
    /// compression: the planes of absent classes are not sent.
    public var presentClasses: [UInt8]

    public init(downsample: UInt8, sampleFormat: SampleFormat, presentClasses: [UInt8]) {
        self.downsample = downsample
        self.sampleFormat = sampleFormat
        self.presentClasses = presentClasses
    }

    /// Symbol-plane width for a map `width` pixels wide: ⌈width / downsample⌉ (a downsample of 0, which
    /// `validate` refuses, counts as 1 here rather than trapping).
    public func planeWidth(mapWidth width: Int) -> Int { (width + factor - 1) / factor }
    /// Symbol-plane height for a map `height` pixels high: ⌈height / downsample⌉.
    public func planeHeight(mapHeight height: Int) -> Int { (height + factor - 1) / factor }

    private var factor: Int { max(1, Int(downsample)) }
}

/// The payload encoding of a MAP_FRAME with its encoding-specific header fields.
public enum MapEncoding: Sendable, Equatable {
    /// Encoding 1: the ids, zlib-compressed.
    case digital
    case analog(AnalogLayout)
    /// Encoding 3 (protocol 2): the ids range-coded by the context model (`MapCoding`), started from the prior
    /// whose identity (CRC-32 of its file) is `prior`, or from uniform counts when `prior` is 0.
    case context(prior: UInt32)
    /// Encoding 4 (protocol 3): a digital map part and a SoftCast layer (protocol §6.4).
    case layered(LayeredLayout)

    /// The hop mode: a context-coded map is digital, like a zlib one.
    public var kind: PayloadEncoding {
        switch self {
        case .digital, .context: .digital
        case .analog: .analog
        case .layered: .layered
        }
    }

    /// The encoding byte on the wire.
    public var wireCode: UInt8 {
        switch self {
        case .digital: 1
        case .analog: 2
        case .context: 3
        case .layered: 4
        }
    }

    /// The protocol version that added the context-coded map (encoding 3).
    public static let contextVersion: UInt8 = 2
    /// The protocol version that added the layered frame (encoding 4).
    public static let layeredVersion: UInt8 = 3

    /// The lowest protocol version that defines this encoding.
    public var requiredVersion: UInt8 {
        switch self {
        case .digital, .analog: 1
        case .context: Self.contextVersion
        case .layered: Self.layeredVersion
        }
    }

    /// For logs and the ledger: digital, analog, context, hybrid (a layered frame with a map) or softcast.
    public var name: String {
        switch self {
        case .digital: "digital"
        case .analog: "analog"
        case .context: "context"
        case .layered(let layout): layout.mapCoding == .none ? "softcast" : "hybrid"
        }
    }
}

/// A zlib-compressed payload as it travels: its declared sizes and CRC are in the protected control
/// part; the compressed bytes are what the channel may corrupt.
public struct CompressedPayload: Sendable, Equatable {
    /// Size after inflating, in bytes; must equal the size the frame's fields imply.
    public var uncompressedLength: Int
    /// CRC-32 (zlib / ISO-HDLC) of `bytes` as the encoder wrote them.
    public var crc32: UInt32
    /// The zlib stream (RFC 1950).
    public var bytes: [UInt8]

    public init(uncompressedLength: Int, crc32: UInt32, bytes: [UInt8]) {
        self.uncompressedLength = uncompressedLength
        self.crc32 = crc32
        self.bytes = bytes
    }

    /// Compresses `raw` with zlib at `level` (0…9) and records its size and CRC.
    public init(compressing raw: [UInt8], level: Int32) {
        let bytes = Zlib.compress(raw, level: level)
        self.init(uncompressedLength: raw.count, crc32: CRC32.checksum(bytes), bytes: bytes)
    }

    /// Whether `bytes` still match `crc32`.
    public var isIntact: Bool { CRC32.checksum(bytes) == crc32 }
}

/// MAP_FRAME (type 2): one semantic map, its path so far, and its payload.
public struct MapFrame: Sendable, Equatable {
    /// Chosen by the sender, unique per origin; retransmissions keep it.
    public var frameID: UInt64
    /// 0 for the first transmission, +1 for each retransmission.
    public var attempt: UInt16
    /// The image's name, a file stem (1…255 UTF-8 bytes, no '/', '\', control characters or leading '.').
    public var name: String
    /// Map width in pixels (1…65535).
    public var width: Int
    /// Map height in pixels (1…65535).
    public var height: Int
    /// Size of the label space (19 for Cityscapes train ids); valid ids are `0..<classCount` and 255 (void).
    public var classCount: UInt8
    /// Digital or analog, with the analog layout.
    public var encoding: MapEncoding
    /// What each relay did, in path order (at most 16).
    public var hops: [HopAnnotation]
    /// The compressed payload.
    public var payload: CompressedPayload

    public init(
        frameID: UInt64, attempt: UInt16 = 0, name: String, width: Int, height: Int, classCount: UInt8,
        encoding: MapEncoding, hops: [HopAnnotation] = [], payload: CompressedPayload
    ) {
        self.frameID = frameID
        self.attempt = attempt
        self.name = name
        self.width = width
        self.height = height
        self.classCount = classCount
        self.encoding = encoding
        self.hops = hops
        self.payload = payload
    }

    /// The uncompressed payload size the fields imply, in bytes: width·height for digital,
    /// K·⌈H/d⌉·⌈W/d⌉·bytes-per-sample for analog.
    public var expectedUncompressedLength: Int {
        switch encoding {
        case .digital, .context:
            return width * height
        case .analog(let layout):
            return layout.presentClasses.count * layout.planeWidth(mapWidth: width)
                * layout.planeHeight(mapHeight: height) * layout.sampleFormat.byteCount
        case .layered(let layout):
            return layout.payloadLength
        }
    }

    /// Checks every control field against the rules of protocol v1 and `limits`.
    public func validate(limits: WireLimits = .default) throws {
        try FieldRules.frameName(name, in: "MAP_FRAME")
        guard (1...Int(UInt16.max)).contains(width), (1...Int(UInt16.max)).contains(height) else {
            throw WireError.invalidField("MAP_FRAME size \(width)×\(height) must be 1…65535 pixels per side")
        }
        guard width * height <= limits.maxMapPixels else {
            throw WireError.lengthOverLimit(
                what: "MAP_FRAME map \(width)×\(height) pixels", declared: width * height, limit: limits.maxMapPixels)
        }
        guard classCount >= 1 else {
            throw WireError.invalidField("MAP_FRAME class count must be at least 1")
        }
        if case .analog(let layout) = encoding {
            guard AnalogLayout.factors.contains(Int(layout.downsample)) else {
                throw WireError.invalidField(
                    "MAP_FRAME downsample factor \(layout.downsample) must be one of \(AnalogLayout.factors)")
            }
            for (index, id) in layout.presentClasses.enumerated() {
                guard id < classCount else {
                    throw WireError.invalidField(
                        "MAP_FRAME present class \(id) is not below the class count \(classCount)")
                }
                if index > 0, layout.presentClasses[index - 1] >= id {
                    throw WireError.invalidField("MAP_FRAME present classes must be strictly ascending")
                }
            }
        }
        if case .layered(let layout) = encoding {
            try layout.validate(width: width, height: height, limits: limits)
        }
        guard hops.count <= WireProtocol.maxHops else {
            throw WireError.invalidField(
                "MAP_FRAME carries \(hops.count) hop annotations; the limit is \(WireProtocol.maxHops)")
        }
        for (index, hop) in hops.enumerated() { try hop.validate(index: index) }
        let expected = expectedUncompressedLength
        guard expected <= limits.maxUncompressedLength else {
            throw WireError.lengthOverLimit(
                what: "MAP_FRAME \(width)×\(height) \(encoding.kind) payload", declared: expected,
                limit: limits.maxUncompressedLength)
        }
        guard payload.uncompressedLength == expected else {
            throw WireError.declaredSizeMismatch(
                what: "MAP_FRAME uncompressed length for \(width)×\(height) \(encoding.kind)",
                declared: payload.uncompressedLength, actual: expected)
        }
        // A layered payload is stored as it is: its parts are coded already (§6.4).
        if case .layered = encoding, payload.bytes.count != payload.uncompressedLength {
            throw WireError.declaredSizeMismatch(
                what: "MAP_FRAME layered payload (stored uncompressed)", declared: payload.uncompressedLength,
                actual: payload.bytes.count)
        }
        guard payload.bytes.count <= Int(UInt32.max) else {
            throw WireError.lengthOverLimit(
                what: "compressed payload", declared: payload.bytes.count, limit: Int(UInt32.max))
        }
    }

    /// Writes the control part (everything but the compressed bytes).
    func writeControl(into buffer: inout ByteBuffer) {
        buffer.writeInteger(frameID, endianness: .big)
        buffer.writeInteger(attempt, endianness: .big)
        buffer.writeLengthPrefixed(name)
        buffer.writeInteger(UInt16(width), endianness: .big)
        buffer.writeInteger(UInt16(height), endianness: .big)
        buffer.writeInteger(classCount)
        buffer.writeInteger(encoding.wireCode)
        switch encoding {
        case .digital: break
        case .analog(let layout):
            buffer.writeInteger(layout.downsample)
            buffer.writeInteger(layout.sampleFormat.rawValue)
            buffer.writeInteger(UInt8(layout.presentClasses.count))
            buffer.writeBytes(layout.presentClasses)
        case .context(let prior):
            buffer.writeInteger(prior, endianness: .big)
        case .layered(let layout):
            layout.write(into: &buffer)
        }
        buffer.writeInteger(UInt8(hops.count))
        for hop in hops { hop.write(into: &buffer) }
        buffer.writeInteger(UInt32(payload.uncompressedLength), endianness: .big)
        buffer.writeInteger(UInt32(payload.bytes.count), endianness: .big)
        buffer.writeInteger(payload.crc32, endianness: .big)
    }

    /// Reads a frame from its control part and the compressed bytes that follow it, then validates it.
    /// - Parameter version: the frame's envelope version (encoding 3 needs 2).
    static func read(
        control reader: inout BodyReader, compressed: ByteBuffer, version: UInt8, limits: WireLimits
    ) throws -> MapFrame {
        let frameID: UInt64 = try reader.integer("frame id")
        let attempt: UInt16 = try reader.integer("attempt")
        let name = try reader.string("name", maxBytes: WireProtocol.maxNameBytes)
        let width = Int(try reader.integer("width", as: UInt16.self))
        let height = Int(try reader.integer("height", as: UInt16.self))
        let classCount: UInt8 = try reader.integer("class count")
        let encodingRaw: UInt8 = try reader.integer("encoding")
        let encoding: MapEncoding
        switch encodingRaw {
        case 1:
            encoding = .digital
        case 3 where version >= 2:
            encoding = .context(prior: try reader.integer("map prior"))
        case 4 where version >= 3:
            encoding = .layered(try LayeredLayout.read(from: &reader))
        case 2:
            let downsample: UInt8 = try reader.integer("downsample factor")
            let formatRaw: UInt8 = try reader.integer("sample format")
            guard let format = SampleFormat(rawValue: formatRaw) else {
                throw WireError.invalidField(
                    "MAP_FRAME sample format \(formatRaw) is neither 1 (float16) nor 2 (float32)")
            }
            let count = Int(try reader.integer("present class count", as: UInt8.self))
            let classes = try reader.bytes("present classes", count: count)
            encoding = .analog(AnalogLayout(downsample: downsample, sampleFormat: format, presentClasses: classes))
        default:
            throw WireError.invalidField(
                "MAP_FRAME encoding \(encodingRaw) is not 1 (digital), 2 (analog), from protocol 2 3 (context) or "
                    + "from protocol 3 4 (layered); "
                    + "this frame is version \(version)")
        }
        let hopCount = Int(try reader.integer("hop count", as: UInt8.self))
        guard hopCount <= WireProtocol.maxHops else {
            throw WireError.invalidField(
                "MAP_FRAME carries \(hopCount) hop annotations; the limit is \(WireProtocol.maxHops)")
        }
        var hops: [HopAnnotation] = []
        for index in 0..<hopCount { hops.append(try HopAnnotation.read(from: &reader, index: index)) }
        let uncompressedLength = Int(try reader.integer("uncompressed length", as: UInt32.self))
        let compressedLength = Int(try reader.integer("compressed length", as: UInt32.self))
        let crc: UInt32 = try reader.integer("payload crc")
        try reader.expectEnd()
        guard compressedLength == compressed.readableBytes else {
            throw WireError.declaredSizeMismatch(
                what: "MAP_FRAME compressed length vs bytes after the control part",
                declared: compressedLength, actual: compressed.readableBytes)
        }
        let frame = MapFrame(
            frameID: frameID, attempt: attempt, name: name, width: width, height: height, classCount: classCount,
            encoding: encoding, hops: hops,
            payload: CompressedPayload(
                uncompressedLength: uncompressedLength, crc32: crc,
                bytes: compressed.getBytes(at: compressed.readerIndex, length: compressedLength) ?? []))
        try frame.validate(limits: limits)
        return frame
    }
}
