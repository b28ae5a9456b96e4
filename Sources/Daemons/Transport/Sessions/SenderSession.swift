import Logging
import SemanticWire

/// One sender connection's protocol, as a value: HELLO offered and its answer awaited (at most
/// `helloTimeout`), then frames and answers, then BYE sent and the peer's awaited (at most the shutdown
/// grace). Messages, the connection's end and deadlines go in; what the sender does comes out. Which frames
/// are where stays with the sender's `SendWindow`; whether the sender is done is passed in.
struct SenderSession: Sendable {
    enum Phase: Equatable, Sendable {
        case awaitingHello(deadline: ContinuousClock.Instant)
        case open
        case byeSent(deadline: ContinuousClock.Instant)
    }

    /// How a connection ended, for the sender's loop.
    enum End: Equatable, Sendable {
        /// Every frame settled and BYEs exchanged.
        case finished
        /// Shutdown (or the events ended) with frames unsettled: they are handed back.
        case stopped
        /// The connection failed or was refused: reconnect (with backoff) and resend.
        case lost
        /// The peer closed the idle connection with nothing outstanding (its idle timeout).
        case idle
    }

    /// A log line the caller writes.
    struct Note: Equatable, Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String] = [:]
    }

    enum Action: Equatable, Sendable {
        /// The peer answered HELLO: frames may go out.
        case connected(Hello)
        case acknowledged(Ack)
        case refused(Nack)
        /// Log `note` (when given), write `reply` (when given), and end the connection.
        case end(End, reply: WireMessage? = nil, note: Note? = nil)
    }

    private(set) var phase: Phase
    let shutdownGrace: Duration

    init(now: ContinuousClock.Instant, helloTimeout: Duration, shutdownGrace: Duration) {
        phase = .awaitingHello(deadline: now + helloTimeout)
        self.shutdownGrace = shutdownGrace
    }

    /// Whether frames, LOST reports and our BYE may be written now.
    var isOpen: Bool { phase == .open }

    /// Whether the peer answered HELLO.
    var isConnected: Bool {
        if case .awaitingHello = phase { return false }
        return true
    }

    /// When the session needs a look without a message (HELLO or BYE awaited); nil while open.
    var deadline: ContinuousClock.Instant? {
        switch phase {
        case .awaitingHello(let deadline), .byeSent(let deadline): deadline
        case .open: nil
        }
    }

    /// Our BYE was written.
    mutating func sentBye(at now: ContinuousClock.Instant) { phase = .byeSent(deadline: now + shutdownGrace) }

    /// - Parameters:
    ///   - finished: every frame is settled and nothing more is to come.
    ///   - idle: nothing is waiting or in flight now.
    mutating func receive(_ message: WireMessage, finished: Bool, idle: Bool) -> Action {
        switch message {
        case .hello(let hello):
            guard case .awaitingHello = phase else { return unexpected(message) }
            guard hello.negotiate() != nil else {
                return .end(
                    .lost,
                    reply: .error(
                        ErrorMessage(
                            WireError.unsupportedVersion(
                                hello.minVersion, supported: WireProtocol.supportedVersions))),
                    note: Note(
                        level: .error, message: "peer speaks no common protocol version",
                        metadata: ["peer.version": "\(hello.minVersion)"]))
            }
            phase = .open
            return .connected(hello)
        case .ack(let ack):
            return .acknowledged(ack)
        case .nack(let nack):
            return .refused(nack)
        case .bye(let bye):
            let note = Note(
                level: .info, message: "peer said bye",
                metadata: ["bye.reason": "\(bye.reason)", "bye.text": "\(bye.text)"])
            guard case .byeSent = phase else {
                return .end(.lost, reply: .bye(Bye(reason: .shuttingDown, text: "sender: goodbye")), note: note)
            }
            return .end(finished ? .finished : .stopped, note: note)
        case .error(let error) where error.code == .timeout && isConnected && idle:
            return .end(
                .idle,
                note: Note(
                    level: .info,
                    message: "the peer closed the idle connection; reconnecting when there is something to send",
                    metadata: ["error.text": "\(error.text)"]))
        case .error(let error):
            return .end(
                .lost,
                note: Note(
                    level: .error, message: "peer reported an error; closing",
                    metadata: ["error.code": "\(error.code)", "error.text": "\(error.text)"]))
        default:
            return unexpected(message)
        }
    }

    private func unexpected(_ message: WireMessage) -> Action {
        .end(
            .lost,
            reply: .error(ErrorMessage(code: .unexpectedMessage, text: "\(message.type) is not expected by a sender")),
            note: Note(
                level: .error, message: "unexpected message from the peer; closing",
                metadata: ["message": "\(message.type)"]))
    }

    /// The connection ended (`reason`: why, when it failed rather than closed).
    func closed(reason: String?, finished: Bool) -> Action {
        if case .byeSent = phase, finished { return .end(.finished) }
        return .end(
            .lost,
            note: Note(level: .warning, message: "connection lost", metadata: ["reason": reason ?? "closed by peer"]))
    }

    /// What a deadline that has passed at `now` means (nil: none has).
    func expire(now: ContinuousClock.Instant, finished: Bool) -> Action? {
        switch phase {
        case .awaitingHello(let deadline) where now >= deadline:
            .end(.lost, note: Note(level: .error, message: "no HELLO answer from the peer; reconnecting"))
        case .byeSent(let deadline) where now >= deadline:
            .end(
                finished ? .finished : .stopped,
                note: Note(level: .warning, message: "no BYE from the peer in time; closing"))
        default:
            nil
        }
    }
}

/// The sender's one timer: wakes its event loop with a tick at the earliest deadline it was given.
final class DeadlineTimer: @unchecked Sendable {
    private let wake: @Sendable () -> Void
    private var armed: ContinuousClock.Instant?
    private var task: Task<Void, Never>?

    /// - Parameter wake: called (from another task) when the armed deadline has come.
    init(wake: @escaping @Sendable () -> Void) { self.wake = wake }

    /// Wakes at `deadline` instead of any earlier setting (nil: not at all). Called from one task only.
    func arm(at deadline: ContinuousClock.Instant?) {
        guard deadline != armed else { return }
        task?.cancel()
        armed = deadline
        guard let deadline else {
            task = nil
            return
        }
        let wake = self.wake
        task = Task {
            guard (try? await Task.sleep(until: deadline)) != nil else { return }
            wake()
        }
    }

    deinit { task?.cancel() }
}
