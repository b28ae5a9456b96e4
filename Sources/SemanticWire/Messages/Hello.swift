import NIOCore

/// HELLO (type 1): the first message on every connection, in both directions.
///
/// The client (the peer that connected) offers the range of versions it speaks; the server answers
/// with a HELLO whose `minVersion == maxVersion` is the chosen version, or with an ERROR
/// `unsupported-version` and closes. Both HELLOs carry envelope version 1.
public struct Hello: Sendable, Equatable {
    /// Lowest protocol version the peer speaks (≥ 1).
    public var minVersion: UInt8
    /// Highest protocol version the peer speaks (≥ `minVersion`).
    public var maxVersion: UInt8
    /// What the peer is.
    public var role: PeerRole
    /// The peer's name for logs (1…255 UTF-8 bytes), e.g. "sender@host".
    public var peerName: String
    /// Whose frames travel on this connection: a sender's own name; a relay copies the origin of its
    /// upstream connection; empty in a server's answer. Receivers de-duplicate by (origin, frame id).
    public var origin: String

    public init(minVersion: UInt8, maxVersion: UInt8, role: PeerRole, peerName: String, origin: String) {
        self.minVersion = minVersion
        self.maxVersion = maxVersion
        self.role = role
        self.peerName = peerName
        self.origin = origin
    }

    /// A client's HELLO offering every version this implementation speaks.
    public static func offer(role: PeerRole, peerName: String, origin: String) -> Hello {
        Hello(
            minVersion: WireProtocol.supportedVersions.lowerBound,
            maxVersion: WireProtocol.supportedVersions.upperBound,
            role: role, peerName: peerName, origin: origin)
    }

    /// A server's answer announcing the chosen `version`.
    public static func answer(version: UInt8, role: PeerRole, peerName: String) -> Hello {
        Hello(minVersion: version, maxVersion: version, role: role, peerName: peerName, origin: "")
    }

    /// The highest version both this offer and `supported` contain, or `nil` when they do not overlap
    /// (then the server sends ERROR `unsupported-version` and closes).
    public func negotiate(supported: ClosedRange<UInt8> = WireProtocol.supportedVersions) -> UInt8? {
        let high = min(maxVersion, supported.upperBound)
        let low = max(minVersion, supported.lowerBound)
        return low <= high ? high : nil
    }

    func validate() throws {
        guard minVersion >= 1, minVersion <= maxVersion else {
            throw WireError.invalidField("HELLO version range \(minVersion)…\(maxVersion) must satisfy 1 ≤ min ≤ max")
        }
        try FieldRules.peerName(peerName, field: "peer name", in: "HELLO")
        try FieldRules.peerName(origin, field: "origin", in: "HELLO", allowEmpty: true)
    }

    func writeBody(into buffer: inout ByteBuffer) {
        buffer.writeInteger(minVersion)
        buffer.writeInteger(maxVersion)
        buffer.writeInteger(role.rawValue)
        buffer.writeLengthPrefixed(peerName)
        buffer.writeLengthPrefixed(origin)
    }

    static func read(from reader: inout BodyReader) throws -> Hello {
        let hello = Hello(
            minVersion: try reader.integer("min version"),
            maxVersion: try reader.integer("max version"),
            role: PeerRole(rawValue: try reader.integer("role")),
            peerName: try reader.string("peer name", maxBytes: WireProtocol.maxNameBytes),
            origin: try reader.string("origin", maxBytes: WireProtocol.maxNameBytes))
        try hello.validate()
        return hello
    }
}
