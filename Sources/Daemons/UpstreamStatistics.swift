import Foundation
import Synchronization

/// Per upstream connection of a relay (`GET /stats`): frames relayed, the last measured SNR, bit
/// errors, NACKs — derived from the relay's live events, keyed by the peer's address.
public final class UpstreamStatistics: Sendable {
    /// One upstream peer's counts.
    public struct Connection: Sendable, Equatable {
        public var peer: String
        public var origin: String?
        public var tlsPeer: String?
        public var open = true
        public var frames = 0
        public var measuredSNRDB: Double?
        public var bitErrors = 0
        public var nacks = 0
    }

    /// Closed connections kept for `GET /stats` (the oldest are dropped first).
    public static let closedKept = 64
    private let connections = Mutex<[Connection]>([])

    public init() {}

    /// Follows one relay event.
    public func record(_ event: DaemonEvent) {
        guard event.label == "relay", let peer = event["peer"] else { return }
        connections.withLock { list in
            func update(_ body: (inout Connection) -> Void) {
                if let i = list.lastIndex(where: { $0.peer == peer && $0.open }) { body(&list[i]) }
            }
            switch event.message {
            case "connection opened":
                list.append(Connection(peer: peer, tlsPeer: event["tls.peer"]))
                let closed = list.indices.filter { !list[$0].open }
                if closed.count > Self.closedKept { list.remove(at: closed[0]) }
            case "hello": update { $0.origin = event["origin"] ?? $0.origin }
            case "frame relayed":
                update {
                    $0.frames += 1
                    if let snr = event["channel.measured_snr_db"].flatMap(Double.init) { $0.measuredSNRDB = snr }
                    $0.bitErrors += event["channel.bit_errors"].flatMap(Int.init) ?? 0
                }
            case "frame nacked", "nack forwarded": update { $0.nacks += 1 }
            case "connection closed": update { $0.open = false }
            default: break
            }
        }
    }

    public var snapshot: [Connection] { connections.withLock { $0 } }

    public var json: [[String: Any]] {
        snapshot.map { c in
            [
                "peer": c.peer, "origin": c.origin ?? NSNull(), "tls_peer": c.tlsPeer ?? NSNull(), "open": c.open,
                "frames": c.frames, "measured_snr_db": c.measuredSNRDB ?? NSNull(), "bit_errors": c.bitErrors,
                "nacks": c.nacks,
            ]
        }
    }
}
