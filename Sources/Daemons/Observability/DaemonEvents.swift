import CoreMetrics
import Foundation
import Logging
import Synchronization

/// One live event of a daemon: what its log line says, as data (the fields of `--log-format json`).
public struct DaemonEvent: Sendable {
    public var date: Date
    public var level: Logger.Level
    /// The daemon's role: `sender`, `relay`, `receiver`.
    public var label: String
    /// What happened: `frame sent`, `frame relayed`, `image generated`…
    public var message: String
    public var metadata: Logger.Metadata

    public init(date: Date = Date(), level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) {
        self.date = date
        self.level = level
        self.label = label
        self.message = message
        self.metadata = metadata
    }

    /// The event as one JSON object, exactly as `--log-format json` writes its line.
    public var json: String {
        var line = LiveLogHandler.format(
            date: date, level: level, label: label, message: message, metadata: metadata, format: .json)
        line.removeLast()  // the newline
        return line
    }

    /// A metadata value as text (nil when absent).
    public subscript(key: String) -> String? {
        metadata[key].map { value in
            switch value {
            case .string(let text): text
            case .stringConvertible(let convertible): convertible.description
            default: "\(value)"
            }
        }
    }
}

/// The process's stream of live events: every event a daemon logs at `info` or above, whatever the
/// log level chosen for standard error. The HTTP side port serves it (`GET /events`) and derives its
/// metrics from it, so what is counted is exactly what is logged. Inactive (and free) until a side port
/// activates it.
///
/// Its cost is bounded whatever the clients do: the recent events are one shared ring (a subscriber gets
/// the ring itself, copy-on-write, not a copy), at most `maxSubscribers` subscribe at once, and each
/// subscriber buffers at most `subscriberBuffer` events — a slow reader skips ahead (`skipped` counts what
/// it missed) instead of growing the daemon.
public final class DaemonEvents: Sendable {
    public static let shared = DaemonEvents()
    /// Events kept for late subscribers (a dashboard opened after the link started).
    public static let replayCapacity = 256
    /// Live events one subscriber may fall behind by before the oldest are skipped.
    public static let subscriberBuffer = 256

    /// What a subscriber reads: a heartbeat lets the reader notice a closed connection while the daemon
    /// is idle.
    public enum Item: Sendable {
        case event(DaemonEvent)
        case heartbeat
    }

    /// One subscriber: the recent events at the moment it subscribed, then the live ones. Cancel it (or
    /// let it go) when its connection ends.
    public final class Subscription: Sendable {
        public let replay: [DaemonEvent]
        public let live: AsyncStream<Item>
        private let continuation: AsyncStream<Item>.Continuation

        init(replay: [DaemonEvent], live: AsyncStream<Item>, continuation: AsyncStream<Item>.Continuation) {
            self.replay = replay
            self.live = live
            self.continuation = continuation
        }

        /// Wakes the reader with a heartbeat (its write then finds out whether the peer is still there).
        public func ping() { continuation.yield(.heartbeat) }

        /// Ends the subscription now.
        public func cancel() { continuation.finish() }

        deinit { continuation.finish() }
    }

    private struct State {
        var active = false
        /// The recent events, oldest first (at most `replayCapacity`).
        var recent: [DaemonEvent] = []
        var subscribers: [UInt64: AsyncStream<Item>.Continuation] = [:]
        var observers: [@Sendable (DaemonEvent) -> Void] = []
        var nextID: UInt64 = 0
        var skipped: Int = 0
        var maxSubscribers: Int
    }

    /// Subscribers at once by default (`--http-max-streams`).
    public static let defaultMaxSubscribers = 16

    private let state: Mutex<State>

    public init(maxSubscribers: Int = defaultMaxSubscribers) {
        state = Mutex(State(maxSubscribers: max(1, maxSubscribers)))
    }

    /// Subscribers at once; one more is refused (`subscribe` returns nil).
    public var maxSubscribers: Int {
        get { state.withLock { $0.maxSubscribers } }
        set { state.withLock { $0.maxSubscribers = max(1, newValue) } }
    }

    public func activate() { state.withLock { $0.active = true } }

    /// Calls `observer` synchronously with every event from now on (metrics).
    public func observe(_ observer: @escaping @Sendable (DaemonEvent) -> Void) {
        state.withLock {
            $0.active = true
            $0.observers.append(observer)
        }
    }

    /// The recent events and every event from now on; nil when `maxSubscribers` are subscribed already.
    public func subscribe() -> Subscription? {
        let (stream, continuation) = AsyncStream.makeStream(
            of: Item.self, bufferingPolicy: .bufferingNewest(Self.subscriberBuffer))
        let registered = state.withLock { state -> (UInt64, [DaemonEvent])? in
            guard state.subscribers.count < state.maxSubscribers else { return nil }
            state.active = true
            state.nextID += 1
            state.subscribers[state.nextID] = continuation
            return (state.nextID, state.recent)
        }
        guard let (id, replay) = registered else {
            continuation.finish()
            return nil
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return Subscription(replay: replay, live: stream, continuation: continuation)
    }

    /// Subscribers now.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Live events slow subscribers skipped so far.
    public var skipped: Int { state.withLock { $0.skipped } }

    /// Ends every open subscription (graceful shutdown: streaming responses finish).
    public func finishSubscribers() {
        let open = state.withLock { state in
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for continuation in open { continuation.finish() }
    }

    public func publish(_ event: DaemonEvent) {
        var skipped = 0
        let observers = state.withLock { state -> [@Sendable (DaemonEvent) -> Void] in
            guard state.active else { return [] }
            if state.recent.count >= Self.replayCapacity {
                state.recent.removeFirst(state.recent.count - Self.replayCapacity + 1)
            }
            state.recent.append(event)
            for continuation in state.subscribers.values {
                if case .dropped = continuation.yield(.event(event)) { skipped += 1 }
            }
            state.skipped += skipped
            return state.observers
        }
        if skipped > 0 {
            Counter(label: TransmissionMetrics.eventsSkipped.name, dimensions: [("daemon", event.label)])
                .increment(by: Int64(skipped))
        }
        for observer in observers { observer(event) }
    }
}
