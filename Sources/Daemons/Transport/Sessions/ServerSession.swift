import SemanticWire

/// The server side of one hop's protocol (receiver and relay alike), as a value: each message the client
/// sends goes in, what the service does about it comes out. HELLO first, with the version negotiated and
/// answered with the service's role and name; then MAP_FRAME, LOST and BYE; the client's ERROR ends the
/// connection; anything else is refused with ERROR unexpected-message (PROTOCOL.md §7).
struct ServerSession: Sendable {
    /// What the service does with one message.
    enum Action: Equatable, Sendable {
        /// A frame to store or forward (the session is open).
        case frame(MapFrame)
        /// The client gave a frame up.
        case lost(Lost)
        /// The client is done; every frame it sent has been answered.
        case bye(Bye)
        /// Handled alike by every server (`ServerConnection.perform`).
        case control(Control)
    }

    /// The part of the protocol every server handles the same way.
    enum Control: Equatable, Sendable {
        /// Write `answer`; the session is open for `hello.origin`.
        case greet(answer: Hello, hello: Hello)
        /// The client reported an error: close without answering.
        case peerError(ErrorMessage)
        /// Write `error`, then close; `reason` is for the log.
        case refuse(ErrorMessage, reason: String)
    }

    let role: PeerRole
    let peerName: String
    /// The client's origin once its HELLO was answered (nil before).
    private(set) var origin: String?
    /// The protocol version negotiated with the client (nil before HELLO).
    private(set) var version: UInt8?

    /// The protocol versions this server speaks (`--max-protocol` narrows them for interoperability tests).
    let versions: ClosedRange<UInt8>

    init(role: PeerRole, peerName: String, versions: ClosedRange<UInt8> = WireProtocol.supportedVersions) {
        self.role = role
        self.peerName = peerName
        self.versions = versions
    }

    /// Whether HELLO has been answered.
    var isOpen: Bool { origin != nil }

    mutating func receive(_ message: WireMessage) -> Action {
        switch message {
        case .hello(let hello) where !isOpen:
            guard let version = hello.negotiate(supported: versions) else {
                return .control(
                    .refuse(
                        ErrorMessage(
                            WireError.unsupportedVersion(hello.maxVersion, supported: versions)),
                        reason: "no common protocol version (the peer speaks \(hello.minVersion)…\(hello.maxVersion))"))
            }
            origin = hello.origin
            self.version = version
            return .control(.greet(answer: .answer(version: version, role: role, peerName: peerName), hello: hello))
        case .mapFrame(let frame) where isOpen:
            let needed = frame.encoding.requiredVersion
            guard needed <= version ?? 1 else {
                let what =
                    "a \(frame.encoding.name) MAP_FRAME needs protocol \(needed); this connection speaks \(version ?? 1)"
                return .control(.refuse(ErrorMessage(WireError.invalidField(what)), reason: what))
            }
            return .frame(frame)
        case .lost(let lost) where isOpen:
            return .lost(lost)
        case .bye(let bye) where isOpen:
            return .bye(bye)
        case .error(let error):
            return .control(.peerError(error))
        default:
            let what = isOpen ? "\(message.type) is not expected from a client" : "\(message.type) before HELLO"
            return .control(
                .refuse(ErrorMessage(code: .unexpectedMessage, text: what), reason: "unexpected message: \(what)"))
        }
    }

    /// A framing error on the client's stream: the bytes after it cannot be trusted.
    static func refusal(of error: WireError) -> Control {
        .refuse(ErrorMessage(error), reason: "\(error.errorCode): \(error)")
    }
}
