// Named values of the code fields of protocol v1. Code fields that a peer only logs or forwards are
// open structs, so a value from a newer peer survives a round trip; fields a peer must understand to
// parse the frame (message type, payload encoding, sample format) are closed enums.

/// The message type byte of the envelope.
public enum MessageType: UInt8, Sendable, CaseIterable {
    case hello = 1
    case mapFrame = 2
    case ack = 3
    case nack = 4
    case lost = 5
    case error = 6
    case bye = 7
}

/// How a MAP_FRAME's payload represents the label map.
public enum PayloadEncoding: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// The label map's bytes (one class id per pixel), zlib-compressed.
    case digital = 1
    /// GESCO: one-hot symbols of the classes present, zlib-compressed real numbers.
    case analog = 2
    /// Protocol 3's layered frame (encoding 4): a digital part (the coded map, SoftCast's metadata) that crosses
    /// the physical layer as bits, and an analog part (SoftCast's chunks) that crosses the channel as symbols.
    case layered = 3

    public var description: String {
        switch self {
        case .digital: "digital"
        case .analog: "analog"
        case .layered: "layered"
        }
    }
}

/// How analog symbols are stored: IEEE 754, little-endian.
public enum SampleFormat: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// binary16, 2 bytes per symbol.
    case float16 = 1
    /// binary32, 4 bytes per symbol.
    case float32 = 2

    /// Bytes per symbol.
    public var byteCount: Int { self == .float16 ? 2 : 4 }
    public var description: String { self == .float16 ? "float16" : "float32" }
}

/// What a peer is (HELLO `role`).
public struct PeerRole: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let sender = PeerRole(rawValue: 1)
    public static let relay = PeerRole(rawValue: 2)
    public static let receiver = PeerRole(rawValue: 3)

    public var description: String {
        switch self {
        case .sender: "sender"
        case .relay: "relay"
        case .receiver: "receiver"
        default: "role(\(rawValue))"
        }
    }
}

/// The outcome an ACK reports.
public struct AckStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The frame was decoded and stored for the first time.
    public static let accepted = AckStatus(rawValue: 1)
    /// The frame had already been accepted (a retransmission); it was not stored again.
    public static let duplicate = AckStatus(rawValue: 2)

    public var description: String {
        switch self {
        case .accepted: "accepted"
        case .duplicate: "duplicate"
        default: "status(\(rawValue))"
        }
    }
}

/// Why a frame was refused (NACK `reason`).
public struct NackReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Payload CRC-32 mismatch: corrupted on the channel. Retransmit.
    public static let payloadCRCMismatch = NackReason(rawValue: 1)
    /// The payload passed its CRC but does not inflate to the declared size. Retransmit.
    public static let undecodable = NackReason(rawValue: 2)
    /// The frame's content is not acceptable (e.g. a class id out of range). Do not retransmit: report it lost.
    public static let invalid = NackReason(rawValue: 3)
    /// The receiver cannot take the frame now (storage full, downstream gone). Retransmit after a backoff.
    public static let unavailable = NackReason(rawValue: 4)

    /// Whether retransmitting the same frame can succeed. A reason this version does not know is treated
    /// as `invalid` (protocol v1 §5.4): retrying blindly could loop forever.
    public var isRetryable: Bool { [.payloadCRCMismatch, .undecodable, .unavailable].contains(self) }

    public var description: String {
        switch self {
        case .payloadCRCMismatch: "payload-crc-mismatch"
        case .undecodable: "undecodable"
        case .invalid: "invalid"
        case .unavailable: "unavailable"
        default: "reason(\(rawValue))"
        }
    }
}

/// The code of an ERROR message; the sender of an ERROR closes the connection after it.
public struct WireErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let unsupportedVersion = WireErrorCode(rawValue: 1)
    public static let badMagic = WireErrorCode(rawValue: 2)
    public static let unknownType = WireErrorCode(rawValue: 3)
    public static let truncated = WireErrorCode(rawValue: 4)
    public static let lengthOverLimit = WireErrorCode(rawValue: 5)
    public static let headerCRCMismatch = WireErrorCode(rawValue: 6)
    public static let invalidField = WireErrorCode(rawValue: 7)
    /// A valid message at the wrong time (e.g. MAP_FRAME before HELLO, a second HELLO).
    public static let unexpectedMessage = WireErrorCode(rawValue: 8)
    /// The peer waited too long (e.g. for HELLO).
    public static let timeout = WireErrorCode(rawValue: 9)
    /// The peer failed for a reason of its own.
    public static let `internal` = WireErrorCode(rawValue: 10)
    /// The server has as many connections open as it allows; try again later.
    public static let busy = WireErrorCode(rawValue: 11)

    public var description: String {
        switch self {
        case .unsupportedVersion: "unsupported-version"
        case .badMagic: "bad-magic"
        case .unknownType: "unknown-type"
        case .truncated: "truncated"
        case .lengthOverLimit: "length-over-limit"
        case .headerCRCMismatch: "header-crc-mismatch"
        case .invalidField: "invalid-field"
        case .unexpectedMessage: "unexpected-message"
        case .timeout: "timeout"
        case .internal: "internal"
        case .busy: "busy"
        default: "error(\(rawValue))"
        }
    }
}

/// Why a peer says BYE.
public struct ByeReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Nothing more to send; every frame was acknowledged or reported lost.
    public static let done = ByeReason(rawValue: 1)
    /// The process is stopping (SIGTERM/SIGINT); unacknowledged frames will be resent on a later connection.
    public static let shuttingDown = ByeReason(rawValue: 2)

    public var description: String {
        switch self {
        case .done: "done"
        case .shuttingDown: "shutting-down"
        default: "reason(\(rawValue))"
        }
    }
}

/// What a hop did to the frame (hop annotation `channel model`).
public struct ChannelModelID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Passed through untouched.
    public static let ideal = ChannelModelID(rawValue: 0)
    /// Analog AWGN, GESCO convention: symbols in {0,1}, peak 1, σ = 10^(−PSNR/20); `snrDB` is a PSNR.
    public static let awgnPSNR = ChannelModelID(rawValue: 1)
    /// Analog AWGN at Es/N0 (unit average power, N0/2 per real dimension); `snrDB` is Es/N0.
    public static let awgnSNR = ChannelModelID(rawValue: 2)
    /// Digital: independent bit flips at the uncoded BPSK AWGN bit error rate Q(√(2·Eb/N0)); `snrDB` is Eb/N0 = Es/N0.
    public static let bscBPSK = ChannelModelID(rawValue: 3)
    /// Analog Rayleigh block fading + AWGN, PSNR convention.
    public static let rayleighPSNR = ChannelModelID(rawValue: 4)
    /// Analog Rayleigh block fading + AWGN at Es/N0.
    public static let rayleighSNR = ChannelModelID(rawValue: 5)
    /// Digital PHY: (FEC) → modulation → AWGN → demodulation → (decoding); `snrDB` is Es/N0.
    public static let phyAWGN = ChannelModelID(rawValue: 6)
    /// Digital PHY over Rayleigh block fading; `snrDB` is Es/N0.
    public static let phyRayleigh = ChannelModelID(rawValue: 7)

    public var description: String {
        switch self {
        case .ideal: "ideal"
        case .awgnPSNR: "awgn-psnr"
        case .awgnSNR: "awgn-snr"
        case .bscBPSK: "bsc-bpsk"
        case .rayleighPSNR: "rayleigh-psnr"
        case .rayleighSNR: "rayleigh-snr"
        case .phyAWGN: "phy-awgn"
        case .phyRayleigh: "phy-rayleigh"
        default: "model(\(rawValue))"
        }
    }
}

/// The modulation a digital hop used (hop annotation `modulation`).
public struct ModulationID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// No modulation (analog hop, ideal hop, or a bit-level model).
    public static let none = ModulationID(rawValue: 0)
    public static let bpsk = ModulationID(rawValue: 1)
    public static let qpsk = ModulationID(rawValue: 2)
    public static let qam16 = ModulationID(rawValue: 3)
    public static let qam64 = ModulationID(rawValue: 4)
    public static let qam256 = ModulationID(rawValue: 5)

    public var description: String {
        switch self {
        case .none: "none"
        case .bpsk: "bpsk"
        case .qpsk: "qpsk"
        case .qam16: "16qam"
        case .qam64: "64qam"
        case .qam256: "256qam"
        default: "modulation(\(rawValue))"
        }
    }
}

/// The channel code a digital hop used (hop annotation `code`).
public struct ChannelCodeID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let uncoded = ChannelCodeID(rawValue: 0)
    public static let repetition = ChannelCodeID(rawValue: 1)
    public static let hamming74 = ChannelCodeID(rawValue: 2)
    public static let convolutional = ChannelCodeID(rawValue: 3)
    public static let ldpc = ChannelCodeID(rawValue: 4)
    public static let polar = ChannelCodeID(rawValue: 5)

    public var description: String {
        switch self {
        case .uncoded: "uncoded"
        case .repetition: "repetition"
        case .hamming74: "hamming74"
        case .convolutional: "convolutional"
        case .ldpc: "ldpc"
        case .polar: "polar"
        default: "code(\(rawValue))"
        }
    }
}
