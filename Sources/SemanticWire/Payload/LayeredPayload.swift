import Checksums
import NIOCore

/// The physical layer a layered frame asks for its digital part (protocol §6.4): the sender planned its budget
/// split with this modulation and code, so the hop that carries the frame uses it. Named as a hop annotation
/// names one, plus the LDPC block length.
public struct RequestedMCS: Sendable, Equatable {
    public var modulation: ModulationID
    public var code: ChannelCodeID
    /// Code rate k/n; 0/0 when uncoded.
    public var rateNumerator: UInt16
    public var rateDenominator: UInt16
    /// LDPC codeword length in bits; 0 for other codes.
    public var blockLength: UInt16

    public init(
        modulation: ModulationID, code: ChannelCodeID, rateNumerator: UInt16 = 0, rateDenominator: UInt16 = 0,
        blockLength: UInt16 = 0
    ) {
        self.modulation = modulation
        self.code = code
        self.rateNumerator = rateNumerator
        self.rateDenominator = rateDenominator
        self.blockLength = blockLength
    }

    /// Bytes on the wire.
    static let byteCount = 8

    func write(into buffer: inout ByteBuffer) {
        buffer.writeInteger(modulation.rawValue)
        buffer.writeInteger(code.rawValue)
        buffer.writeInteger(rateNumerator, endianness: .big)
        buffer.writeInteger(rateDenominator, endianness: .big)
        buffer.writeInteger(blockLength, endianness: .big)
    }

    static func read(from reader: inout BodyReader) throws -> RequestedMCS {
        RequestedMCS(
            modulation: ModulationID(rawValue: try reader.integer("digital part modulation")),
            code: ChannelCodeID(rawValue: try reader.integer("digital part code")),
            rateNumerator: try reader.integer("digital part code rate k"),
            rateDenominator: try reader.integer("digital part code rate n"),
            blockLength: try reader.integer("digital part code block length"))
    }

    /// The structural rules: a known modulation; uncoded with rate 0/0 and no block, or coded with 0 < k ≤ n;
    /// a block length only for LDPC. Whether a hop can run it is the hop's question (NACK invalid if not).
    func validate() throws {
        guard (1...5).contains(modulation.rawValue) else {
            throw WireError.invalidField("MAP_FRAME digital part modulation \(modulation.rawValue) is not 1…5")
        }
        if code == .uncoded {
            guard rateNumerator == 0, rateDenominator == 0, blockLength == 0 else {
                throw WireError.invalidField("MAP_FRAME digital part: an uncoded part has rate 0/0 and block 0")
            }
        } else {
            guard (1...5).contains(code.rawValue), rateNumerator > 0, rateNumerator <= rateDenominator else {
                throw WireError.invalidField(
                    "MAP_FRAME digital part code \(code.rawValue) rate \(rateNumerator)/\(rateDenominator) breaks 0 < k ≤ n"
                )
            }
            guard code == .ldpc || blockLength == 0 else {
                throw WireError.invalidField("MAP_FRAME digital part: only LDPC names a block length")
            }
        }
    }

    public var description: String {
        code == .uncoded
            ? "\(modulation) uncoded"
            : "\(modulation) \(code)\(blockLength > 0 ? ":\(blockLength)" : ""):\(rateNumerator)/\(rateDenominator)"
    }
}

/// The control fields of a layered MAP_FRAME (encoding 4, protocol 3; protocol §6.4): what its three payload
/// parts are — the coded map, SoftCast's metadata (both digital, each with the sender's CRC, so a receiver
/// knows which part a channel broke) and SoftCast's analog symbols.
public struct LayeredLayout: Sendable, Equatable {
    /// How the map part is coded.
    public enum MapCoding: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        /// No map part: a SoftCast frame (`semcom send --encoding softcast`).
        case none = 0
        /// The ids, zlib-compressed (encoding 1's payload).
        case zlib = 1
        /// The ids range-coded (encoding 3's payload, protocol §6.3).
        case context = 3

        public var description: String {
            switch self {
            case .none: "none"
            case .zlib: "zlib"
            case .context: "context"
            }
        }
    }

    public var mapCoding: MapCoding
    /// The map prior of a context-coded map part (its file's CRC-32); 0 = none, and always 0 for other codings.
    public var mapPrior: UInt32
    /// The SoftCast profile the layer was made with: the CRC-32 of its file. Sender and receiver must hold it.
    public var profile: UInt32
    /// How the analog symbols are stored.
    public var sampleFormat: SampleFormat
    /// The physical layer the digital parts were planned for.
    public var mcs: RequestedMCS
    /// Bytes of the map part and the CRC-32 the sender computed over them (kept by every hop).
    public var mapLength: Int
    public var mapCRC: UInt32
    /// Bytes of SoftCast's metadata and its CRC-32 (0 bytes: no layer).
    public var metadataLength: Int
    public var metadataCRC: UInt32
    /// Real analog symbols (two per complex channel use).
    public var symbolCount: Int

    /// The longest metadata: 6 bytes and one 4-bit level for each of up to 65,535 chunks (`SoftCastMetadata`).
    public static let maxMetadataBytes = 6 + 65_535 / 2 + 1
    /// Control bytes after the encoding byte.
    static let controlByteCount = 1 + 4 + 4 + 1 + RequestedMCS.byteCount + 4 + 4 + 4 + 4 + 4

    public init(
        mapCoding: MapCoding, mapPrior: UInt32 = 0, profile: UInt32, sampleFormat: SampleFormat, mcs: RequestedMCS,
        mapLength: Int, mapCRC: UInt32, metadataLength: Int, metadataCRC: UInt32, symbolCount: Int
    ) {
        self.mapCoding = mapCoding
        self.mapPrior = mapPrior
        self.profile = profile
        self.sampleFormat = sampleFormat
        self.mcs = mcs
        self.mapLength = mapLength
        self.mapCRC = mapCRC
        self.metadataLength = metadataLength
        self.metadataCRC = metadataCRC
        self.symbolCount = symbolCount
    }

    /// Payload bytes the fields imply: map, metadata, symbols.
    public var payloadLength: Int { mapLength + metadataLength + symbolCount * sampleFormat.byteCount }

    /// Whether the frame carries a SoftCast layer.
    public var hasLayer: Bool { metadataLength > 0 }

    /// The rules of §6.4 for a `width`×`height` frame.
    func validate(width: Int, height: Int, limits: WireLimits) throws {
        try mcs.validate()
        switch mapCoding {
        case .none:
            guard mapLength == 0, mapPrior == 0 else {
                throw WireError.invalidField("MAP_FRAME layered: map coding none with a map part or a prior")
            }
        case .zlib, .context:
            guard mapLength >= 1, mapLength <= limits.maxUncompressedLength else {
                throw WireError.invalidField("MAP_FRAME layered: map part of \(mapLength) bytes")
            }
            guard mapCoding == .context || mapPrior == 0 else {
                throw WireError.invalidField("MAP_FRAME layered: only a context-coded map names a prior")
            }
        }
        guard metadataLength <= Self.maxMetadataBytes else {
            throw WireError.lengthOverLimit(
                what: "MAP_FRAME layered metadata", declared: metadataLength, limit: Self.maxMetadataBytes)
        }
        guard symbolCount == 0 || metadataLength > 0 else {
            throw WireError.invalidField("MAP_FRAME layered: \(symbolCount) symbols without metadata")
        }
        guard mapLength > 0 || metadataLength > 0 else {
            throw WireError.invalidField("MAP_FRAME layered: neither a map nor a layer")
        }
        // Three planes of DCT coefficients are the most a layer can describe.
        guard symbolCount <= 3 * width * height else {
            throw WireError.lengthOverLimit(
                what: "MAP_FRAME layered symbols for \(width)×\(height)", declared: symbolCount,
                limit: 3 * width * height)
        }
    }

    func write(into buffer: inout ByteBuffer) {
        buffer.writeInteger(mapCoding.rawValue)
        buffer.writeInteger(mapPrior, endianness: .big)
        buffer.writeInteger(profile, endianness: .big)
        buffer.writeInteger(sampleFormat.rawValue)
        mcs.write(into: &buffer)
        buffer.writeInteger(UInt32(mapLength), endianness: .big)
        buffer.writeInteger(mapCRC, endianness: .big)
        buffer.writeInteger(UInt32(metadataLength), endianness: .big)
        buffer.writeInteger(metadataCRC, endianness: .big)
        buffer.writeInteger(UInt32(symbolCount), endianness: .big)
    }

    static func read(from reader: inout BodyReader) throws -> LayeredLayout {
        let codingRaw: UInt8 = try reader.integer("map coding")
        guard let coding = MapCoding(rawValue: codingRaw) else {
            throw WireError.invalidField("MAP_FRAME layered map coding \(codingRaw) is not 0 (none), 1 (zlib) or 3")
        }
        let prior: UInt32 = try reader.integer("map prior")
        let profile: UInt32 = try reader.integer("softcast profile")
        let formatRaw: UInt8 = try reader.integer("sample format")
        guard let format = SampleFormat(rawValue: formatRaw) else {
            throw WireError.invalidField("MAP_FRAME sample format \(formatRaw) is neither 1 (float16) nor 2 (float32)")
        }
        let mcs = try RequestedMCS.read(from: &reader)
        return LayeredLayout(
            mapCoding: coding, mapPrior: prior, profile: profile, sampleFormat: format, mcs: mcs,
            mapLength: Int(try reader.integer("map length", as: UInt32.self)),
            mapCRC: try reader.integer("map crc"),
            metadataLength: Int(try reader.integer("metadata length", as: UInt32.self)),
            metadataCRC: try reader.integer("metadata crc"),
            symbolCount: Int(try reader.integer("symbol count", as: UInt32.self)))
    }
}

/// A layered frame's payload split into its parts, as a hop or receiver sees them: each digital part with
/// whether it still matches the sender's CRC, the symbols decoded.
public struct LayeredParts: Sendable, Equatable {
    public var map: [UInt8]
    public var mapIntact: Bool
    public var metadata: [UInt8]
    public var metadataIntact: Bool
    public var symbols: [Float]
}

extension MapFrame {
    /// A layered frame (first transmission, no hops): `map` coded as `mapCoding`, SoftCast's `metadata` and
    /// `symbols`; the payload is stored uncompressed (its parts are coded already, and noisy symbols do not
    /// compress), its CRC over the bytes as written.
    public static func layered(
        frameID: UInt64, name: String, width: Int, height: Int, classCount: UInt8,
        map: [UInt8], mapCoding: LayeredLayout.MapCoding, mapPrior: UInt32 = 0, profile: UInt32,
        mcs: RequestedMCS, metadata: [UInt8], symbols: [Float], sampleFormat: SampleFormat
    ) -> MapFrame {
        let layout = LayeredLayout(
            mapCoding: mapCoding, mapPrior: mapPrior, profile: profile, sampleFormat: sampleFormat, mcs: mcs,
            mapLength: map.count, mapCRC: map.isEmpty ? 0 : CRC32.checksum(map), metadataLength: metadata.count,
            metadataCRC: metadata.isEmpty ? 0 : CRC32.checksum(metadata), symbolCount: symbols.count)
        return MapFrame(
            frameID: frameID, name: name, width: width, height: height, classCount: classCount,
            encoding: .layered(layout),
            payload: LayeredParts.payload(map: map, metadata: metadata, symbols: symbols, format: sampleFormat))
    }

    /// The parts of a layered frame: payload CRC and length first (a mismatch is the hop's damage: NACK
    /// payload-crc-mismatch), then the split, each digital part against its CRC, and the symbols, which must be
    /// finite (else NACK invalid).
    public func layeredParts() throws -> LayeredParts {
        guard case .layered(let layout) = encoding else {
            throw WireError.invalidField("frame \(frameID) is \(encoding.kind), not layered")
        }
        try payload.verifyCRC(frameID: frameID)
        let bytes = payload.bytes
        guard bytes.count == layout.payloadLength else {
            throw WireError.declaredSizeMismatch(
                what: "frame \(frameID): layered payload", declared: layout.payloadLength, actual: bytes.count)
        }
        let map = Array(bytes[0..<layout.mapLength])
        let metadataEnd = layout.mapLength + layout.metadataLength
        let metadata = Array(bytes[layout.mapLength..<metadataEnd])
        let symbols = AnalogPayload.deserialize(
            Array(bytes[metadataEnd...]), count: layout.symbolCount, format: layout.sampleFormat)
        guard symbols.allSatisfy(\.isFinite) else {
            throw WireError.invalidField("frame \(frameID): a layered frame's symbol is not finite")
        }
        return LayeredParts(
            map: map, mapIntact: map.isEmpty || CRC32.checksum(map) == layout.mapCRC, metadata: metadata,
            metadataIntact: metadata.isEmpty || CRC32.checksum(metadata) == layout.metadataCRC, symbols: symbols)
    }

    /// This layered frame with its parts as a hop left them: the digital parts as they came out of the physical
    /// layer (their CRCs stay the sender's), the symbols after the channel in the frame's own sample format, and
    /// a fresh payload CRC.
    public func replacingLayeredParts(map: [UInt8], metadata: [UInt8], symbols: [Float]) throws -> MapFrame {
        guard case .layered(let layout) = encoding else {
            throw WireError.invalidField("frame \(frameID) is \(encoding.kind), not layered")
        }
        guard map.count == layout.mapLength, metadata.count == layout.metadataLength,
            symbols.count == layout.symbolCount
        else {
            throw WireError.invalidField("frame \(frameID): parts of another size than the layout's")
        }
        var frame = self
        frame.payload = LayeredParts.payload(
            map: map, metadata: metadata, symbols: symbols, format: layout.sampleFormat)
        return frame
    }
}

extension LayeredParts {
    /// The payload of parts: map, metadata, symbols little-endian, uncompressed, its CRC over the bytes.
    static func payload(map: [UInt8], metadata: [UInt8], symbols: [Float], format: SampleFormat) -> CompressedPayload {
        let bytes = map + metadata + AnalogPayload.serialize(symbols, format: format)
        return CompressedPayload(uncompressedLength: bytes.count, crc32: CRC32.checksum(bytes), bytes: bytes)
    }
}
