import Checksums

/// The digital payload: the label map's bytes (one class id per pixel, row-major), zlib-compressed.
/// A single residual bit error breaks the CRC or the stream: the cliff effect. The wire carries plain ids;
/// `Link` converts to and from `Imaging`'s `LabelMap`.
public enum DigitalPayload {
    /// zlib level for digital payloads: maps are small and every byte on the air costs, so compress hardest.
    public static let compressionLevel: Int32 = 9

    /// Compresses `ids` (one class id per pixel, row-major) and records their size and CRC-32.
    public static func encode(ids: [UInt8]) -> CompressedPayload {
        CompressedPayload(compressing: ids, level: compressionLevel)
    }

    /// Checks the CRC, inflates at most `width·height` bytes and checks every id; returns the ids, row-major.
    ///
    /// - Parameter classCount: valid ids are `0..<classCount` and 255 (void).
    /// - Throws: `.payloadCRCMismatch`, `.declaredSizeMismatch`, `.lengthOverLimit`, `.corruptZlib`, or
    ///   `.invalidField` for an id out of range — each maps to a NACK via `WireError.nackReason`.
    public static func decodeIDs(
        _ payload: CompressedPayload, width: Int, height: Int, classCount: UInt8, frameID: UInt64 = 0,
        limits: WireLimits = .default
    ) throws -> [UInt8] {
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
        try MapFrame.checkIDs(ids, classCount: classCount, frameID: frameID)
        return ids
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
    /// A digital frame of the `width`×`height` map `ids` (row-major; first transmission, no hops).
    /// - Throws: `.invalidField` when the map holds an id that is neither `< classCount` nor void.
    public static func digital(
        frameID: UInt64, name: String, width: Int, height: Int, ids: [UInt8], classCount: UInt8
    ) throws -> MapFrame {
        try checkIDs(ids, classCount: classCount)
        return MapFrame(
            frameID: frameID, name: name, width: width, height: height, classCount: classCount,
            encoding: .digital, payload: DigitalPayload.encode(ids: ids))
    }

    /// The ids of a digital frame, row-major (see `DigitalPayload.decodeIDs`).
    public func decodeDigitalIDs(limits: WireLimits = .default) throws -> [UInt8] {
        guard case .digital = encoding else {
            throw WireError.invalidField("frame \(frameID) is \(encoding.kind), not digital")
        }
        return try DigitalPayload.decodeIDs(
            payload, width: width, height: height, classCount: classCount, frameID: frameID, limits: limits)
    }

    /// Throws `.invalidField` for an id that is neither `< classCount` nor void (`WireProtocol.voidID`); the
    /// message names `frameID` when given (a received frame's).
    static func checkIDs(_ ids: [UInt8], classCount: UInt8, frameID: UInt64? = nil) throws {
        if let bad = ids.first(where: { $0 >= classCount && $0 != WireProtocol.voidID }) {
            throw WireError.invalidField(
                (frameID.map { "frame \($0): " } ?? "")
                    + "label id \(bad) is neither below the class count \(classCount) nor void (255)")
        }
    }
}
