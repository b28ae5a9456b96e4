import Link
import Logging
import SemanticWire

/// What happened on the link, as data: one frame's lifecycle step or one connection's.
///
/// The services emit these (`Logger.emit`) and nothing else about frames and connections; the log line
/// (text or JSON), the Prometheus counters (`TransmissionMetrics`), the relay's `/stats`
/// (`UpstreamStatistics`), the side port's `/events` feed and the dashboard all read the typed event, never
/// the line's words. In a log line the event rides under the key `event` (`event=frame.acked`).
public enum LinkEvent: Sendable, CustomStringConvertible {
    case frame(FrameEvent)
    case connection(ConnectionEvent)

    /// `frame.KIND` or `connection.KIND`: the `event` field of a log line and of an `/events` object.
    public var description: String {
        switch self {
        case .frame(let event): "frame.\(event.kind.rawValue)"
        case .connection(let event): "connection.\(event.kind.rawValue)"
        }
    }
}

/// One step of a frame's life at one daemon, with what the daemon knows of the frame then.
public struct FrameEvent: Sendable {
    /// The frame lifecycle, from the sender's window to the receiver's image.
    public enum Kind: String, Sendable, CaseIterable {
        /// Sender: first transmission.
        case sent
        /// Sender: a later attempt after a NACK or a reconnection.
        case retransmitted
        /// Relay: the channel applied (one hop annotation added) and the frame forwarded.
        case relayed
        /// Receiver: the frame read off the wire.
        case received
        /// Receiver: the map decided from what arrived (denoised, or the FDS planes kept).
        case decided
        /// Receiver: the map and its files stored.
        case written
        /// Receiver: the image generated from the map.
        case generated
        /// An ACK: sent (receiver) or received (sender).
        case acked
        /// A NACK: sent (relay, receiver), forwarded (relay) or received (sender).
        case nacked
        /// The frame given up (sender) or reported lost (relay, receiver).
        case lost

        /// The words of the log line: the only place they are written.
        public var message: String {
            switch self {
            case .generated: "image generated"
            case .decided: "map decided"
            default: "frame \(rawValue)"
            }
        }

        /// The level the line is logged at: refusals and losses are warnings.
        public var level: Logger.Level {
            switch self {
            case .nacked, .lost: .warning
            default: .info
            }
        }
    }

    public var kind: Kind
    public var frameID: UInt64
    /// The frame's name (the image's file stem), when known.
    public var name: String?
    /// The attempt the step concerns (0: the first transmission).
    public var attempt: UInt16?
    /// `digital` or `analog`.
    public var encoding: String?
    /// Pixels, width × height.
    public var size: (width: Int, height: Int)?
    /// Bytes of the (compressed) payload on the wire.
    public var payloadBytes: Int?
    /// The relays the frame crossed so far (nil: not known at this step).
    public var hops: [HopAnnotation]?
    /// What the last hop put on the channel.
    public var ledger: ChannelLedger?
    /// Why a NACK or a loss happened: the NACK reason code (`corrupt`, `unavailable`…) or the loss's text.
    public var reason: String?
    /// The error in words, for people.
    public var error: String?
    /// How long the step took, milliseconds (generation, storage).
    public var durationMS: Double?
    /// Attempts made before a loss.
    public var attempts: UInt16?
    /// Whether a NACK was forwarded from downstream rather than decided here.
    public var forwarded = false
    /// Log-only context (window occupancy, generator settings, file paths): no consumer reads it.
    public var context: Logger.Metadata = [:]

    public init(_ kind: Kind, frameID: UInt64, name: String? = nil, attempt: UInt16? = nil) {
        self.kind = kind
        self.frameID = frameID
        self.name = name
        self.attempt = attempt
    }

    /// A step of `frame` as it is now (its header, payload size and hops).
    public init(_ kind: Kind, frame: MapFrame) {
        self.init(kind, frameID: frame.frameID, name: frame.name, attempt: frame.attempt)
        encoding = frame.encoding.name
        size = (frame.width, frame.height)
        payloadBytes = frame.payload.bytes.count
    }

    /// A LOST report read off the wire.
    public init(lost: Lost) {
        self.init(.lost, frameID: lost.frameID, name: lost.name)
        attempts = lost.attempts
        reason = lost.text
    }

    /// The frame's hops, the last one's channel figures and its ledger.
    public func crossing(_ hops: [HopAnnotation], frame: MapFrame) -> FrameEvent {
        var event = self
        event.hops = hops
        event.ledger = hops.last.map { ChannelLedger(hop: $0, frame: frame) }
        return event
    }

    /// This event with a NACK's reason and text.
    public func refused(_ reason: NackReason, _ text: String) -> FrameEvent {
        var event = self
        event.kind = .nacked
        event.reason = "\(reason)"
        event.error = text
        return event
    }

    /// The last hop's measured SNR, dB (relay and receiver).
    public var measuredSNRDB: Double? { hops?.last?.measuredSNRDB.map(Double.init) }
    /// The last hop's bit errors.
    public var bitErrors: Int? { hops?.last.map { Int($0.bitErrors) } }

    /// The fields of the log line (`frame.id`, `frame.name`, `channel.*`, `reason`…), `event` included.
    public var metadata: Logger.Metadata {
        var metadata = FrameMetadata.frame(frameID, name: name, attempt: attempt)
        metadata["event"] = .stringConvertible(LinkEvent.frame(self))
        if let encoding { metadata["frame.encoding"] = "\(encoding)" }
        if let size { metadata["frame.size"] = "\(size.width)x\(size.height)" }
        if let payloadBytes { metadata["frame.bytes"] = .stringConvertible(payloadBytes) }
        if let hops { metadata.merge(FrameMetadata.channel(hops)) { $1 } }
        if let ledger { metadata.merge(FrameMetadata.ledger(ledger)) { $1 } }
        if let reason { metadata["reason"] = "\(reason)" }
        if let error { metadata["error"] = "\(error)" }
        if let durationMS { metadata["duration_ms"] = .decimal(durationMS, digits: 3) }
        if let attempts { metadata["frame.attempts"] = .stringConvertible(attempts) }
        if forwarded { metadata["nack.forwarded"] = "true" }
        metadata.merge(context) { $1 }
        return metadata
    }
}

/// One step of a wire connection's life at a server (the relay's `/stats` follows them per peer; the peer's
/// address is on the connection's logger as `peer`).
public struct ConnectionEvent: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Accepted (TLS verified when on).
        case opened
        /// The client's HELLO answered.
        case hello
        /// Ended, cleanly or not.
        case closed

        /// The words of the log line.
        public var message: String {
            switch self {
            case .opened: "connection opened"
            case .hello: "hello"
            case .closed: "connection closed"
            }
        }
    }

    public var kind: Kind
    /// The client's origin (HELLO).
    public var origin: String?
    /// The client's name and role (HELLO).
    public var peerName: String?
    public var peerRole: String?
    /// The verified TLS peer's name.
    public var tlsPeer: String?
    /// Why the connection ended, when not cleanly.
    public var reason: String?

    public init(_ kind: Kind) { self.kind = kind }

    /// The connection's end: `error` when it failed rather than closed.
    public static func closed(because error: (any Error)?) -> ConnectionEvent {
        var event = ConnectionEvent(.closed)
        event.reason = error.map { "\($0)" }
        return event
    }

    /// The fields of the log line, `event` included.
    public var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = ["event": .stringConvertible(LinkEvent.connection(self))]
        if let origin { metadata["origin"] = "\(origin)" }
        if let peerName { metadata["peer.name"] = "\(peerName)" }
        if let peerRole { metadata["peer.role"] = "\(peerRole)" }
        if let tlsPeer { metadata["tls.peer"] = "\(tlsPeer)" }
        if let reason { metadata["reason"] = "\(reason)" }
        return metadata
    }
}

extension Logger {
    /// Emits a frame event: its log line at its kind's level (or `level`), and through the log handler the
    /// typed event to `DaemonEvents`.
    public func emit(_ event: FrameEvent, level: Logger.Level? = nil) {
        log(level: level ?? event.kind.level, "\(event.kind.message)", metadata: event.metadata)
    }

    /// Emits a connection event.
    public func emit(_ event: ConnectionEvent, level: Logger.Level = .info) {
        log(level: level, "\(event.kind.message)", metadata: event.metadata)
    }
}

extension DaemonEvent {
    /// The typed event this line reports, if it reports one.
    public var link: LinkEvent? {
        guard case .stringConvertible(let value)? = metadata["event"] else { return nil }
        return value as? LinkEvent
    }

    /// The frame event this line reports, if it reports one.
    public var frame: FrameEvent? {
        if case .frame(let event)? = link { return event }
        return nil
    }
}
