import Foundation
import Synchronization

/// What a daemon's `GET /readyz` reports: named checks (listening, models loaded, downstream reachable,
/// connected) set by the daemon as they change. The daemon is ready when no check is failing; a check
/// not yet known (a relay's downstream before its first sender) does not hold it back.
public final class Readiness: Sendable {
    /// One check's state, as `/readyz` reports it.
    public enum State: String, Sendable, Codable {
        case ok, failing, unknown
    }

    /// A named check's state and why.
    public struct Check: Sendable, Codable, Equatable {
        public var state: State
        /// Why, for a failing check; what was checked otherwise.
        public var detail: String?
    }

    private let checks = Mutex<[String: Check]>([:])

    /// `names`: the checks this daemon reports, all unknown at first.
    public init(checks names: [String]) {
        checks.withLock { for name in names { $0[name] = Check(state: .unknown) } }
    }

    public func set(_ name: String, _ ok: Bool, detail: String? = nil) {
        checks.withLock { $0[name] = Check(state: ok ? .ok : .failing, detail: detail) }
    }

    public var snapshot: [String: Check] { checks.withLock { $0 } }

    /// Every check ok, none failing ("listening" must be ok).
    public var isReady: Bool {
        let all = snapshot
        return !all.values.contains { $0.state == .failing } && all["listening"].map { $0.state == .ok } ?? true
    }
}
