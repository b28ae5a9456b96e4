/// Everything that can be wrong with bytes read from (or a message about to be written to) the wire.
///
/// Errors thrown by `WireFrameDecoder` / `WireMessage.decode` concern the framing or the
/// CRC-protected control part: the peer answers with an ERROR (`errorCode`) and closes the
/// connection. Errors thrown while decoding a MAP_FRAME's payload (`MapFrame.decodeDigitalMap`,
/// `MapFrame.decodeAnalogSymbols`) concern one frame only: the peer answers with a NACK
/// (`nackReason`) and keeps the connection.
public enum WireError: Error, Sendable, Equatable {
    /// The first bytes of a frame are not "SMCM": the peer does not speak this protocol or the stream lost sync.
    case badMagic(found: [UInt8])
    /// The envelope carries a version this peer does not speak.
    case unsupportedVersion(UInt8, supported: ClosedRange<UInt8>)
    /// The envelope's message type is not defined in this version.
    case unknownType(UInt8)
    /// A field runs past the end of its frame, or the connection ended inside a frame.
    case truncated(String)
    /// A declared length exceeds this peer's limit (checked before allocating).
    case lengthOverLimit(what: String, declared: Int, limit: Int)
    /// The envelope's header CRC-32 does not match the control part: the control channel was corrupted.
    case headerCRCMismatch(stored: UInt32, computed: UInt32)
    /// The payload CRC-32 does not match the compressed payload bytes (bit errors on the channel).
    case payloadCRCMismatch(frameID: UInt64, stored: UInt32, computed: UInt32)
    /// The compressed payload is not a valid zlib stream.
    case corruptZlib(String)
    /// A declared size disagrees with the actual or the derived size (including zip bombs).
    case declaredSizeMismatch(what: String, declared: Int, actual: Int)
    /// A field holds a value the protocol does not allow; the text names the field and the rule.
    case invalidField(String)
}

extension WireError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .badMagic(let found):
            let hex = found.map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
            return "bad magic: a frame must start with 53 4d 43 4d (\"SMCM\") but starts with \(hex); "
                + "the peer does not speak the semcom wire protocol or the stream lost sync"
        case .unsupportedVersion(let version, let supported):
            return "unsupported protocol version \(version): this peer speaks \(supported.lowerBound)…"
                + "\(supported.upperBound); upgrade the older peer"
        case .unknownType(let type):
            return "unknown message type \(type) (v1 defines 1…7); the peer speaks a newer or different protocol"
        case .truncated(let what):
            return "truncated frame: \(what)"
        case .lengthOverLimit(let what, let declared, let limit):
            return "\(what) of \(declared) bytes exceeds the limit of \(limit) bytes; "
                + "send smaller frames (downsample, float16) or raise the receiving peer's limit"
        case .headerCRCMismatch(let stored, let computed):
            return "header CRC-32 mismatch (stored \(hex32(stored)), computed \(hex32(computed))): "
                + "the control part was corrupted in transit or the sender computes the CRC wrongly"
        case .payloadCRCMismatch(let frameID, let stored, let computed):
            return "frame \(frameID): payload CRC-32 mismatch (stored \(hex32(stored)), computed \(hex32(computed))): "
                + "the payload was corrupted on the channel; the sender should retransmit"
        case .corruptZlib(let what):
            return "payload is not a valid zlib stream: \(what)"
        case .declaredSizeMismatch(let what, let declared, let actual):
            return "\(what): declared \(declared) bytes but found \(actual)"
        case .invalidField(let what):
            return "invalid field: \(what)"
        }
    }

    /// The ERROR code a peer sends before closing the connection because of this error.
    public var errorCode: WireErrorCode {
        switch self {
        case .badMagic: .badMagic
        case .unsupportedVersion: .unsupportedVersion
        case .unknownType: .unknownType
        case .truncated: .truncated
        case .lengthOverLimit: .lengthOverLimit
        case .headerCRCMismatch: .headerCRCMismatch
        case .payloadCRCMismatch, .corruptZlib, .declaredSizeMismatch, .invalidField: .invalidField
        }
    }

    /// The NACK reason a receiver sends when decoding one frame's payload fails with this error.
    public var nackReason: NackReason {
        switch self {
        case .payloadCRCMismatch: .payloadCRCMismatch
        case .corruptZlib, .declaredSizeMismatch, .truncated: .undecodable
        default: .invalid
        }
    }
}

private func hex32(_ value: UInt32) -> String {
    "0x" + String(value, radix: 16).leftPadded(to: 8)
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
