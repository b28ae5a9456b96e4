import Foundation
import Synchronization

/// Per upstream connection of a relay (`GET /stats`): frames relayed, the last measured SNR, bit
/// errors, NACKs — derived from the relay's typed events (`LinkEvent`), keyed by the peer's address
/// (the connection logger's `peer` field).
public final class UpstreamStatistics: Sendable {
    /// One upstream peer's counts.
    public struct Connection: Sendable, Equatable, Codable {
        public var peer: String
        public var origin: String?
        public var tlsPeer: String?
        public var open = true
        public var frames = 0
        public var measuredSNRDB: Double?
        public var bitErrors = 0
        public var nacks = 0

        public init(peer: String, origin: String? = nil, tlsPeer: String? = nil) {
            self.peer = peer
            self.origin = origin
            self.tlsPeer = tlsPeer
        }

        enum CodingKeys: String, CodingKey {
            case peer, origin, tlsPeer = "tls_peer", open, frames, measuredSNRDB = "measured_snr_db",
                bitErrors = "bit_errors", nacks
        }
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
            switch event.link {
            case .connection(let connection)?:
                switch connection.kind {
                case .opened:
                    list.append(Connection(peer: peer, tlsPeer: event["tls.peer"]))
                    let closed = list.indices.filter { !list[$0].open }
                    if closed.count > Self.closedKept { list.remove(at: closed[0]) }
                case .hello: update { $0.origin = connection.origin ?? $0.origin }
                case .closed: update { $0.open = false }
                }
            case .frame(let frame)?:
                switch frame.kind {
                case .relayed:
                    update {
                        $0.frames += 1
                        if let snr = frame.measuredSNRDB { $0.measuredSNRDB = snr }
                        $0.bitErrors += frame.bitErrors ?? 0
                    }
                case .nacked: update { $0.nacks += 1 }
                default: break
                }
            case nil:
                break
            }
        }
    }

    public var snapshot: [Connection] { connections.withLock { $0 } }
}
