import Checksums
import Imaging

/// The digital payload: the label map's bytes (one class id per pixel, row-major), zlib-compressed.
/// A single residual bit error breaks the CRC or the stream: the cliff effect.
public enum DigitalPayload {
    /// zlib level for digital payloads: maps are small and every byte on the air costs, so compress hardest.
    public static let compressionLevel: Int32 = 9

    /// Compresses `map.ids` and records their size and CRC-32.
    public static func encode(_ map: LabelMap) -> CompressedPayload {
        CompressedPayload(compressing: map.ids, level: compressionLevel)
    }

    /// Checks the CRC, inflates at most `width·height` bytes and checks every id.
    ///
    /// - Parameter classCount: valid ids are `0..<classCount` and 255 (void).
    /// - Throws: `.payloadCRCMismatch`, `.declaredSizeMismatch`, `.lengthOverLimit`, `.corruptZlib`, or
    ///   `.invalidField` for an id out of range — each maps to a NACK via `WireError.nackReason`.
    public static func decode(
        _ payload: CompressedPayload, width: Int, height: Int, classCount: UInt8, frameID: UInt64 = 0,
        limits: WireLimits = .default
    ) throws -> LabelMap {
        try payload.verifyCRC(frameID: frameID)
        let expected = width * height
        guard payload.uncompressedLength == expected else {
            throw WireError.declaredSizeMismatch(
                what: "digital payload uncompressed length for \(width)×\(height)",
                declared: payload.uncompressedLength, actual: expected)
        }
        guard expected <= limits.maxUncompressedLength else {
            throw WireError.lengthOverLimit(
                what: "digital payload", declared: expected, limit: limits.maxUncompressedLength)
        }
        let ids = try Zlib.inflate(payload.bytes, expectedLength: expected)
        if let bad = ids.first(where: { $0 >= classCount && $0 != LabelMap.void }) {
            throw WireError.invalidField(
                "frame \(frameID): label id \(bad) is neither below the class count \(classCount) nor void (255)")
        }
        return LabelMap(width: width, height: height, ids: ids)
    }
}

extension CompressedPayload {
    /// Throws `.payloadCRCMismatch` unless the bytes match the CRC-32 in the control part.
    public func verifyCRC(frameID: UInt64) throws {
        let computed = CRC32.checksum(bytes)
        guard computed == crc32 else {
            throw WireError.payloadCRCMismatch(frameID: frameID, stored: crc32, computed: computed)
        }
    }
}

extension MapFrame {
    /// A digital frame of `map` (first transmission, no hops).
    /// - Throws: `.invalidField` when the map holds an id that is neither `< classCount` nor void.
    public static func digital(frameID: UInt64, name: String, map: LabelMap, classCount: UInt8) throws -> MapFrame {
        try checkIDs(map, classCount: classCount)
        return MapFrame(
            frameID: frameID, name: name, width: map.width, height: map.height, classCount: classCount,
            encoding: .digital, payload: DigitalPayload.encode(map))
    }

    /// The label map of a digital frame (see `DigitalPayload.decode`).
    public func decodeDigitalMap(limits: WireLimits = .default) throws -> LabelMap {
        guard case .digital = encoding else {
            throw WireError.invalidField("frame \(frameID) is \(encoding.kind), not digital")
        }
        return try DigitalPayload.decode(
            payload, width: width, height: height, classCount: classCount, frameID: frameID, limits: limits)
    }

    static func checkIDs(_ map: LabelMap, classCount: UInt8) throws {
        if let bad = map.ids.first(where: { $0 >= classCount && $0 != LabelMap.void }) {
            throw WireError.invalidField(
                "label id \(bad) is neither below the class count \(classCount) nor void (255)")
        }
    }
}
