import Checksums
import Imaging
import MapCoding
import SemanticWire

/// How a digital frame codes its map (`semcom send --map-coding`). zlib is the default, as the system's design
/// names it; context coding (`MapCoding`, payload encoding 3 of protocol 2) takes about a third of the bytes on
/// street scenes.
public enum DigitalMapCoding: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case zlib
    case context

    public var description: String { rawValue }
}

extension MapFrame {
    /// A digital frame of `map` (first transmission, no hops), coded as `coding` asks where it can be: context
    /// coding needs a peer that speaks protocol 2 and a map it makes smaller than zlib; otherwise — a protocol-1
    /// peer, more than 63 classes, a map unlike street scenes — the frame carries zlib (encoding 1), so a frame
    /// never costs more than zlib.
    /// - Parameters:
    ///   - prior: used when it was learned for `classCount` classes; the frame names it (else prior 0, uniform
    ///     starting counts).
    ///   - version: the protocol version negotiated with the peer.
    public static func digital(
        frameID: UInt64, name: String, map: LabelMap, classCount: UInt8, coding: DigitalMapCoding, prior: MapPrior?,
        version: UInt8 = WireProtocol.supportedVersions.upperBound
    ) throws -> MapFrame {
        try coded(
            frameID: frameID, name: name, map: map, classCount: classCount, coding: coding, prior: prior,
            version: version
        ).frame
    }

    /// As `digital(…coding:…)`, with the size the map's zlib payload has (what the coding saved is the
    /// difference; the sender logs it).
    public static func coded(
        frameID: UInt64, name: String, map: LabelMap, classCount: UInt8, coding: DigitalMapCoding, prior: MapPrior?,
        version: UInt8 = WireProtocol.supportedVersions.upperBound
    ) throws -> (frame: MapFrame, zlibBytes: Int) {
        let zlib = try digital(frameID: frameID, name: name, map: map, classCount: classCount)
        let zlibBytes = zlib.payload.bytes.count
        guard coding == .context, version >= MapEncoding.contextVersion,
            Int(classCount) + 1 <= MapCoder.maxContextSymbols
        else { return (zlib, zlibBytes) }
        let usable = prior?.classCount == Int(classCount) ? prior : nil
        let body = MapCoder.modelBody(
            ids: map.ids, width: map.width, height: map.height, classCount: Int(classCount), prior: usable)
        guard body.count < zlibBytes else { return (zlib, zlibBytes) }
        let frame = MapFrame(
            frameID: frameID, name: name, width: map.width, height: map.height, classCount: classCount,
            encoding: .context(prior: usable?.identity ?? 0),
            payload: CompressedPayload(
                uncompressedLength: map.width * map.height, crc32: CRC32.checksum(body), bytes: body))
        return (frame, zlibBytes)
    }

    /// The label map of a digital frame, zlib- or context-coded: payload CRC, declared size, the prior the frame
    /// names (it must be `prior`, or 0 for none), then the range decoder — O(pixels) whatever the bytes.
    /// - Throws: `WireError`, whose `nackReason` answers the frame: payload-crc-mismatch, undecodable (a body
    ///   that ends before the map does), invalid (a prior this peer does not have, an id out of range).
    public func decodeDigitalMap(prior: MapPrior?, limits: WireLimits = .default) throws -> LabelMap {
        guard case .context(let identity) = encoding else { return try decodeDigitalMap(limits: limits) }
        try payload.verifyCRC(frameID: frameID)
        let pixels = width * height
        guard payload.uncompressedLength == pixels, pixels <= limits.maxUncompressedLength else {
            throw WireError.declaredSizeMismatch(
                what: "frame \(frameID): context-coded map length for \(width)×\(height)",
                declared: payload.uncompressedLength, actual: pixels)
        }
        var model: MapPrior?
        if identity != 0 {
            guard let prior, prior.identity == identity, prior.classCount == Int(classCount) else {
                throw WireError.invalidField(
                    "frame \(frameID): map prior \(MapPrior.text(identity: identity)) is not known here (this peer has "
                        + (prior.map { "\(MapPrior.text(identity: $0.identity)) for \($0.classCount) classes" }
                            ?? "none")
                        + ")")
            }
            model = prior
        }
        do {
            return LabelMap(
                width: width, height: height,
                ids: try MapCoder.decodeBody(
                    payload.bytes, width: width, height: height, classCount: Int(classCount), prior: model))
        } catch .truncated(let what) {
            throw WireError.truncated("frame \(frameID): context-coded map: \(what)")
        } catch {
            throw WireError.invalidField("frame \(frameID): context-coded map: \(error)")
        }
    }
}
