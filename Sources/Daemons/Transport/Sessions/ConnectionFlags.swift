import Synchronization

/// The state a server-side connection shares between its reading task, its timeout watch and its
/// shutdown handler (receiver and relay alike; the relay's BYE is the one it sends upstream).
final class ConnectionFlags: Sendable {
    private let state = Mutex((hello: false, byeSent: false, stopping: false))

    /// Whether the client's HELLO was answered.
    var helloReceived: Bool {
        get { state.withLock { $0.hello } }
        set { state.withLock { $0.hello = newValue } }
    }

    /// Marks BYE as sent; true only for the first caller (send it then).
    func markByeSent() -> Bool {
        state.withLock { flags in
            defer { flags.byeSent = true }
            return !flags.byeSent
        }
    }

    /// Whether the daemon is shutting down (frames arriving now are answered NACK unavailable).
    var isShuttingDown: Bool { state.withLock { $0.stopping } }
    func markShuttingDown() { state.withLock { $0.stopping = true } }
}
