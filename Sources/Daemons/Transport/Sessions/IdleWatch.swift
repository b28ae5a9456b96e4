import Logging
import NIOCore
import SemanticWire
import Synchronization

/// The HELLO and idle timeouts of one server-side connection: when the connection waits for its peer with
/// nothing of the peer's in progress (no frame being handled, none forwarded and unanswered) for longer
/// than the timeout, `expired` returns and the caller answers ERROR timeout and closes.
///
/// Why not a read timeout on the socket: a daemon that is itself slow (a full generator queue, a busy
/// worker pool) stops reading on purpose (back-pressure); the peer is then waiting for us, not idle.
final class IdleWatch: Sendable {
    private struct State {
        var waitingSince: ContinuousClock.Instant? = .now
        var timeout: Duration
        var pending = 0
    }
    private let state: Mutex<State>

    /// - Parameter timeout: the first wait's limit (the HELLO timeout).
    init(timeout: Duration) { state = Mutex(State(timeout: timeout)) }

    /// The connection waits for the peer's next message, at most `timeout` (when nothing is pending).
    func reading(timeout: Duration) {
        state.withLock {
            $0.waitingSince = .now
            $0.timeout = timeout
        }
    }

    /// A message arrived: the connection is handling it.
    func handling() { state.withLock { $0.waitingSince = nil } }

    /// A frame went downstream; the peer now waits for its answer.
    func forwarded() { state.withLock { $0.pending += 1 } }

    /// An answer went upstream: the peer's idle time counts from now when nothing else is pending.
    func answered() {
        state.withLock {
            $0.pending = max(0, $0.pending - 1)
            if $0.waitingSince != nil { $0.waitingSince = .now }
        }
    }

    /// When the wait ends, if it does (nil: not waiting, or frames pending).
    var deadline: ContinuousClock.Instant? {
        state.withLock { state in
            guard state.pending == 0, let since = state.waitingSince else { return nil }
            return since + state.timeout
        }
    }

    /// Returns once the deadline has passed; throws `CancellationError` when the connection ends first.
    func expired() async throws {
        while true {
            let now = ContinuousClock.now
            guard let deadline else {
                try await Task.sleep(for: .seconds(1))  // busy: look again shortly
                continue
            }
            if now >= deadline { return }
            // The deadline may move earlier (HELLO ends the longer HELLO wait): look again within a second.
            try await Task.sleep(until: min(deadline, now + .seconds(1)))
        }
    }
}

extension IdleWatch {
    /// Runs `exchange` (the connection's reading loop) while the watch answers an expired wait with ERROR
    /// timeout and closes `connection`; the watch ends with the exchange.
    func guarding(
        _ connection: WireConnection, outbound: NIOAsyncChannelOutboundWriter<WireMessage>, flags: ConnectionFlags,
        helloTimeout: Duration, idleTimeout: Duration, logger: Logger, exchange: () async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await self.closeOnExpiry(
                    of: connection, outbound: outbound, flags: flags, helloTimeout: helloTimeout,
                    idleTimeout: idleTimeout,
                    logger: logger)
            }
            defer { group.cancelAll() }
            try await exchange()
        }
    }

    /// Waits for the deadline, then answers ERROR timeout (naming the HELLO or the idle timeout, as
    /// `flags` says which wait it was) and closes `connection`. Cancelled with the connection.
    func closeOnExpiry(
        of connection: WireConnection, outbound: NIOAsyncChannelOutboundWriter<WireMessage>, flags: ConnectionFlags,
        helloTimeout: Duration, idleTimeout: Duration, logger: Logger
    ) async throws {
        try await expired()
        let text =
            flags.helloReceived ? "no message for \(idleTimeout) (idle timeout)" : "no HELLO within \(helloTimeout)"
        logger.warning("connection error: \(text); closing", metadata: ["error.code": "timeout"])
        try? await outbound.write(.error(ErrorMessage(code: .timeout, text: text)))
        connection.channel.close(promise: nil)
    }
}

/// A limit on a listener's open connections, shared by its accept loop.
final class ConnectionGate: Sendable {
    let limit: Int
    private let open = Mutex(0)

    init(limit: Int) { self.limit = max(1, limit) }

    /// Takes a place for a new connection; false when `limit` are open.
    func enter() -> Bool {
        open.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    /// Gives a place back when a connection has closed.
    func leave() { open.withLock { $0 -= 1 } }

    var count: Int { open.withLock { $0 } }
}

/// A flag set once by one task and read by others (e.g. "shutting down").
final class OnceFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
