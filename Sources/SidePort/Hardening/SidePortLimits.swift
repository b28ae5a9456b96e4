import Daemons
import Foundation

/// What a side port (and the dashboard) accepts from clients, and for how long: the defences against
/// hostile clients on the same machine or in a browser (docs/sideport-security.md).
public struct SidePortLimits: Sendable, Equatable {
    /// Connections open at once; one more is closed at once. Kept well below the process's descriptors so
    /// that the side port can never starve the data port.
    public var maxConnections = 64
    /// `/events` streams at once; one more gets 503 with `Retry-After`.
    public var maxStreams = DaemonEvents.defaultMaxSubscribers
    /// A request's head and body must arrive within this, or the connection is closed (slow or stalled
    /// clients; it also bounds how long a stalled body can hold up shutdown).
    public var requestTimeout: Duration = .seconds(5)
    /// A keep-alive connection with no request in progress is closed after this.
    public var idleTimeout: Duration = .seconds(30)
    /// How often an `/events` stream sends a comment line, so that a closed connection is noticed (and its
    /// subscription freed) even while the daemon is idle.
    public var heartbeat: Duration = .seconds(2)
    /// Host names (besides loopback names, IP literals and the listen host) that requests may name in
    /// `Host` (`--allowed-host`): every other name is refused (DNS rebinding).
    public var allowedHosts: [String] = []
    /// Origins whose pages may read the side port (`--allow-origin`, e.g. the dashboard's
    /// `http://127.0.0.1:8700`); no wildcard, none by default.
    public var allowedOrigins: [String] = []

    public init() {}
}

/// The `Host` check against DNS rebinding: a request must name the server by an IP literal, a loopback
/// name, the listen host or a name given with `--allowed-host`. A rebinding attack needs a name the
/// attacker controls, so IP literals (what Prometheus and Kubernetes probes use) stay allowed.
public struct HostAllowList: Sendable, Equatable {
    let names: Set<String>

    public init(listenHost: String, extra: [String]) {
        var names: Set<String> = ["localhost", "localhost.", "ip6-localhost"]
        names.insert(listenHost.lowercased())
        for name in extra { names.insert(name.lowercased()) }
        self.names = names
    }

    /// Whether `authority` (a `Host` header: `name`, `name:port`, `[v6]:port`) is acceptable. A request
    /// without one is not from a browser (browsers always send it) and cannot be a rebinding attack.
    public func allows(_ authority: String?) -> Bool {
        guard let authority, !authority.isEmpty else { return true }
        let host = Self.host(of: authority).lowercased()
        return Endpoint.isIPAddress(host) || names.contains(host)
    }

    /// The host part of an authority, brackets of an IPv6 literal removed.
    static func host(of authority: String) -> String {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        if let colon = authority.lastIndex(of: ":"), authority.firstIndex(of: ":") == colon {
            return String(authority[..<colon])
        }
        return authority
    }
}
