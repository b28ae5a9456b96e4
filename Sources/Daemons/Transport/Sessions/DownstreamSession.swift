import Logging
import SemanticWire

/// The relay's client side towards its next hop, as a value (like `SenderSession` for the sender): HELLO
/// offered, its answer awaited — within the HELLO timeout, and before any frame is forwarded — and the
/// version negotiated; then downstream's ACKs and NACKs go back upstream unchanged, and its BYE, its ERROR
/// or a message a server must not send ends both sides (the sender then resends what is unanswered).
struct DownstreamSession: Sendable {
    enum Phase: Equatable, Sendable {
        case awaitingHello
        case open(version: UInt8)
        case ended
    }

    enum Action: Equatable, Sendable {
        /// Downstream answered HELLO with a version both speak: frames may go on.
        case opened(Hello, version: UInt8)
        /// An answer for upstream, as it came.
        case answer(WireMessage)
        /// End both sides: log `note`, write `reply` downstream and `upstream` upstream (when given).
        case end(note: SenderSession.Note, reply: WireMessage? = nil, upstream: WireMessage? = nil)
    }

    private(set) var phase = Phase.awaitingHello

    var isOpen: Bool {
        if case .open = phase { return true }
        return false
    }

    mutating func receive(_ message: WireMessage) -> Action {
        switch (phase, message) {
        case (.awaitingHello, .hello(let hello)):
            guard let version = hello.negotiate() else {
                phase = .ended
                return .end(
                    note: .init(
                        level: .error, message: "downstream speaks no common protocol version; closing both sides",
                        metadata: ["peer.version": "\(hello.minVersion)…\(hello.maxVersion)"]),
                    reply: .error(
                        ErrorMessage(
                            WireError.unsupportedVersion(
                                hello.minVersion, supported: WireProtocol.supportedVersions))),
                    upstream: .error(ErrorMessage(code: .internal, text: "relay: downstream speaks no common version")))
            }
            phase = .open(version: version)
            return .opened(hello, version: version)
        case (.open, .ack), (.open, .nack):
            return .answer(message)
        case (_, .bye(let bye)):
            phase = .ended
            return .end(
                note: .init(level: .info, message: "downstream said bye", metadata: ["bye.reason": "\(bye.reason)"]),
                upstream: .bye(Bye(reason: bye.reason, text: "downstream: \(bye.text)")))
        case (_, .error(let error)):
            phase = .ended
            return .end(
                note: .init(
                    level: .warning, message: "downstream reported an error; closing both sides",
                    metadata: ["error.code": "\(error.code)", "error.text": "\(error.text)"]),
                upstream: .error(
                    ErrorMessage(
                        code: .internal, text: ErrorMessage.fitting("relay's downstream failed: \(error.text)"))))
        default:
            phase = .ended
            return .end(
                note: .init(
                    level: .warning, message: "unexpected message from downstream; closing both sides",
                    metadata: ["message": "\(message.type)"]),
                reply: .error(ErrorMessage(code: .unexpectedMessage, text: "\(message.type) is not expected here")))
        }
    }

    /// What the relay does when the HELLO timeout passed without an answer (its loop keeps the deadline).
    static func helloTimedOut(after limit: Duration) -> Action {
        .end(
            note: .init(
                level: .warning, message: "downstream did not answer HELLO within \(limit); closing both sides"),
            reply: .error(ErrorMessage(code: .timeout, text: "no HELLO answer within \(limit)")))
    }
}
