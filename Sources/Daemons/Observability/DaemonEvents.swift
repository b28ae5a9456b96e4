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
public final class DaemonEvents: Sendable {
    public static let shared = DaemonEvents()
    /// Events kept for late subscribers (a dashboard opened after the link started).
    public static let replayCapacity = 256

    private struct State {
        var active = false
        var recent: [DaemonEvent] = []
        var subscribers: [UInt64: AsyncStream<DaemonEvent>.Continuation] = [:]
        var observers: [@Sendable (DaemonEvent) -> Void] = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func activate() { state.withLock { $0.active = true } }

    /// Calls `observer` synchronously with every event from now on (metrics).
    public func observe(_ observer: @escaping @Sendable (DaemonEvent) -> Void) {
        state.withLock {
            $0.active = true
            $0.observers.append(observer)
        }
    }

    /// Every event from now on, after the recent ones (`replay`). A slow reader loses the oldest events
    /// it has not read beyond `buffer`, never blocks the daemon.
    public func subscribe(replay: Bool = true, buffer: Int = 1024) -> AsyncStream<DaemonEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: DaemonEvent.self, bufferingPolicy: .bufferingNewest(buffer))
        let id = state.withLock { state -> UInt64 in
            state.active = true
            if replay { for event in state.recent { continuation.yield(event) } }
            state.nextID += 1
            state.subscribers[state.nextID] = continuation
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Ends every open subscription (graceful shutdown: streaming responses finish).
    public func finishSubscribers() {
        let open = state.withLock { state in
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for continuation in open { continuation.finish() }
    }

    public func publish(_ event: DaemonEvent) {
        let observers = state.withLock { state -> [@Sendable (DaemonEvent) -> Void] in
            guard state.active else { return [] }
            state.recent.append(event)
            if state.recent.count > Self.replayCapacity {
                state.recent.removeFirst(state.recent.count - Self.replayCapacity)
            }
            for continuation in state.subscribers.values { continuation.yield(event) }
            return state.observers
        }
        for observer in observers { observer(event) }
    }
}
