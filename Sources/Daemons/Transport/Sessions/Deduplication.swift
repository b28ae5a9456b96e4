/// Which frames a receiver has accepted, by (origin, frame id), shared by all its connections.
///
/// A frame is retransmitted when its ACK is lost (a relay restarted, a connection dropped), so the same
/// (origin, frame id) can arrive again, even on another connection at the same time. The first arrival
/// claims it; a later one is acknowledged as a duplicate and not stored again.
public actor DeduplicationTable {
    /// What to do with an arriving frame.
    public enum Claim: Sendable, Equatable {
        /// First arrival: decode and store it, then `finish`.
        case new
        /// Accepted earlier: answer ACK duplicate.
        case duplicate
        /// Another connection is storing it right now: answer NACK unavailable (the sender retries).
        case inProgress
    }

    private struct Key: Hashable {
        var origin: String
        var frameID: UInt64
    }

    private var accepted: Set<Key> = []
    private var inProgress: Set<Key> = []

    public init() {}

    /// Claims (origin, frame id) for storing.
    public func claim(origin: String, frameID: UInt64) -> Claim {
        let key = Key(origin: origin, frameID: frameID)
        if accepted.contains(key) { return .duplicate }
        if inProgress.contains(key) { return .inProgress }
        inProgress.insert(key)
        return .new
    }

    /// Ends a claim: `stored` records the frame as accepted; otherwise (a NACK) it may arrive again.
    public func finish(origin: String, frameID: UInt64, stored: Bool) {
        let key = Key(origin: origin, frameID: frameID)
        inProgress.remove(key)
        if stored { accepted.insert(key) }
    }

    /// Frames accepted so far.
    public var acceptedCount: Int { accepted.count }
}
