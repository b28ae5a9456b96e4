import SemanticWire

/// The sender's bookkeeping, free of I/O so it can be tested on its own: which frames wait, which are
/// on the wire unacknowledged (at most `capacity`), and what a NACK or a lost connection means for each.
///
/// Every frame ends acknowledged or lost, never dropped: `isDone` holds only when nothing waits and
/// nothing is in flight.
public struct SendWindow: Sendable {
    /// A frame the sender tracks.
    public struct Entry: Sendable, Equatable {
        public var frameID: UInt64
        public var name: String
        /// The attempt number its next (or current) transmission carries.
        public var attempt: UInt16
        /// NACKs received that count against the retry limit (payload CRC, undecodable).
        public var refusals: Int
        /// The text of the last NACK, for a LOST report.
        public var lastRefusal: String
    }

    /// What to do after a NACK.
    public enum NackDecision: Sendable, Equatable {
        /// Transmit again with this attempt number (the frame is back at the head of the queue).
        case retransmit(attempt: UInt16)
        /// Transmit again after a pause (the peer was unavailable); `retryDelayed` makes it eligible.
        case retransmitLater(attempt: UInt16)
        /// Give the frame up: send LOST with this many attempts and this text.
        case lost(Entry, attempts: UInt16, text: String)
        /// The NACK is for no frame in flight (stale, or for an older attempt); ignore it.
        case ignored
    }

    /// Unacknowledged frames allowed on the wire.
    public let capacity: Int
    /// Retransmissions allowed after NACKs for channel errors (payload CRC, undecodable) before LOST.
    public let maxRetries: Int

    private(set) public var waiting: [Entry] = []
    private(set) public var inFlight: [UInt64: Entry] = [:]
    private(set) public var delayed: [Entry] = []
    private var known: Set<UInt64> = []

    /// Transmissions made, first ones and retransmissions together.
    private(set) public var sent = 0
    /// Retransmissions (after NACKs and after reconnecting).
    private(set) public var retransmissions = 0
    /// Frames acknowledged by the receiver (accepted or duplicate).
    private(set) public var acknowledged = 0
    /// Frames given up and reported lost.
    private(set) public var lost = 0

    public init(capacity: Int, maxRetries: Int) {
        precondition(capacity >= 1 && maxRetries >= 0, "window ≥ 1, retries ≥ 0")
        self.capacity = capacity
        self.maxRetries = maxRetries
    }

    /// Queues a new frame; a frame id seen before is ignored (returns false).
    @discardableResult
    public mutating func enqueue(frameID: UInt64, name: String) -> Bool {
        guard known.insert(frameID).inserted else { return false }
        waiting.append(Entry(frameID: frameID, name: name, attempt: 0, refusals: 0, lastRefusal: ""))
        return true
    }

    /// Gives up a frame waiting after NACK unavailable (it waited past the sender's bound): counts it lost.
    /// Returns its entry, or nil when it is not waiting so.
    public mutating func abandonDelayed(frameID: UInt64) -> Entry? {
        guard let index = delayed.firstIndex(where: { $0.frameID == frameID }) else { return nil }
        lost += 1
        return delayed.remove(at: index)
    }

    /// Gives up every frame not yet settled (the peer cannot be reached): all count lost. Returns them.
    public mutating func abandonAll() -> [Entry] {
        let all = (inFlight.values.sorted { $0.frameID < $1.frameID }) + delayed + waiting
        inFlight.removeAll()
        delayed.removeAll()
        waiting.removeAll()
        lost += all.count
        return all
    }

    /// Frames known (queued at some point, or given up unsent).
    public var knownCount: Int { known.count }

    /// The next frame to put on the wire, if the window has room; it is then in flight.
    public mutating func nextToSend() -> Entry? {
        guard inFlight.count < capacity, !waiting.isEmpty else { return nil }
        let entry = waiting.removeFirst()
        inFlight[entry.frameID] = entry
        sent += 1
        if entry.attempt > 0 { retransmissions += 1 }
        return entry
    }

    /// An ACK for `frameID`: the frame is done. Returns the entry, or nil for a frame not in flight.
    public mutating func acknowledge(frameID: UInt64) -> Entry? {
        guard let entry = inFlight.removeValue(forKey: frameID) else { return nil }
        acknowledged += 1
        return entry
    }

    /// A NACK for `frameID`'s transmission `attempt` with `reason`.
    public mutating func refuse(frameID: UInt64, attempt: UInt16, reason: NackReason, text: String) -> NackDecision {
        guard var entry = inFlight[frameID], entry.attempt == attempt else { return .ignored }
        inFlight[frameID] = nil
        entry.lastRefusal = "\(reason): \(text)"
        entry.attempt &+= 1
        if !reason.isRetryable {
            lost += 1
            return .lost(entry, attempts: attempt &+ 1, text: entry.lastRefusal)
        }
        if reason == .unavailable {
            // The peer is busy or its downstream is gone: not the channel's fault, so it does not count
            // against the retry limit; it waits for `retryDelayed`.
            delayed.append(entry)
            return .retransmitLater(attempt: entry.attempt)
        }
        entry.refusals += 1
        if entry.refusals > maxRetries {
            lost += 1
            return .lost(entry, attempts: attempt &+ 1, text: entry.lastRefusal)
        }
        waiting.insert(entry, at: 0)
        return .retransmit(attempt: entry.attempt)
    }

    /// Frames paused after NACK unavailable become eligible again.
    public mutating func retryDelayed() {
        waiting.insert(contentsOf: delayed, at: 0)
        delayed.removeAll()
    }

    /// The connection is gone: every frame in flight goes back to the head of the queue, in frame order,
    /// with its attempt number raised (its answer may never come). Returns how many.
    @discardableResult
    public mutating func connectionLost() -> Int {
        var back = inFlight.values.sorted { $0.frameID < $1.frameID }
        for index in back.indices { back[index].attempt &+= 1 }
        inFlight.removeAll()
        waiting.insert(contentsOf: back, at: 0)
        return back.count
    }

    /// Frames not yet acknowledged or lost (waiting, delayed or in flight).
    public var outstanding: Int { waiting.count + delayed.count + inFlight.count }

    /// Nothing waits and nothing is in flight: every frame was acknowledged or lost.
    public var isDone: Bool { outstanding == 0 }

    /// `12 sent, 8 acknowledged, 0 lost, 4 retransmissions`.
    public var summary: String {
        "\(sent) sent, \(acknowledged) acknowledged, \(lost) lost, \(retransmissions) retransmissions"
    }
}
