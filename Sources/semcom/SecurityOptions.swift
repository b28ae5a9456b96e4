import ArgumentParser
import Daemons
import Foundation
import Hummingbird
import Logging
import NIOSSL
import SidePort
import TransportSecurity

/// TLS flags of a listening daemon (`receive`, and `relay`'s listener).
struct TLSListenOptions: ParsableArguments {
    @Option(name: .customLong("tls-cert"), help: "PEM certificate of this listener: TLS on (with --tls-key).")
    var certificate: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.") var key: String?
    @Option(
        name: .customLong("tls-ca"),
        help: "PEM CA certificate: clients must present a certificate it signed (mutual TLS).")
    var trustRoots: String?
    @Option(
        name: .customLong("tls-allow"),
        help: "With --tls-ca: client certificate common names accepted, comma-separated (default: any the CA signed).")
    var allow: String?

    var settings: TLSSettings {
        TLSSettings(
            certificatePath: certificate, keyPath: key, trustRootsPath: trustRoots, allowedNames: Self.names(allow))
    }

    func security() throws -> HopSecurity {
        try Startup.configuration { try HopSecurity.listener(settings) }
    }

    static func names(_ list: String?) -> [String] {
        (list ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// TLS flags of a connecting daemon (`send`).
struct TLSConnectOptions: ParsableArguments {
    @Option(
        name: .customLong("tls-ca"),
        help: "PEM CA certificate the server's certificate must chain to: TLS on.")
    var trustRoots: String?
    @Option(name: .customLong("tls-cert"), help: "PEM client certificate, for a server that requires one (mutual TLS).")
    var certificate: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.") var key: String?
    @Option(
        name: .customLong("tls-server-name"),
        help:
            "Name the server's certificate must carry (default: the host of --connect; an IP address is checked against the certificate's IP addresses)."
    )
    var serverName: String?

    func security(to target: Endpoint) throws -> HopSecurity {
        try Self.security(
            certificate: certificate, key: key, trustRoots: trustRoots, serverName: serverName, to: target)
    }

    /// The connecting side of a hop from its four flags (also the relay's `--forward-tls-*`).
    static func security(
        certificate: String?, key: String?, trustRoots: String?, serverName: String?, to target: Endpoint
    ) throws -> HopSecurity {
        let settings = TLSSettings(
            certificatePath: certificate, keyPath: key, trustRootsPath: trustRoots, serverName: serverName)
        return try Startup.configuration { try HopSecurity.connection(settings, to: target) }
    }
}

/// TLS flags of the relay's downstream connection (towards the receiver or the next relay).
struct TLSForwardOptions: ParsableArguments {
    @Option(
        name: .customLong("forward-tls-ca"),
        help: "PEM CA certificate the next hop's certificate must chain to: TLS on the downstream connection.")
    var trustRoots: String?
    @Option(name: .customLong("forward-tls-cert"), help: "PEM client certificate the relay presents downstream.")
    var certificate: String?
    @Option(name: .customLong("forward-tls-key"), help: "PEM private key of --forward-tls-cert.") var key: String?
    @Option(
        name: .customLong("forward-tls-server-name"),
        help: "Name the next hop's certificate must carry (default: the host of --forward).")
    var serverName: String?

    func security(to target: Endpoint) throws -> HopSecurity {
        try TLSConnectOptions.security(
            certificate: certificate, key: key, trustRoots: trustRoots, serverName: serverName, to: target)
    }
}

/// Exit statuses of `semcom` (also in README and deploy/README.md): 0 done, 1 a run-time failure,
/// 64 a usage error (ArgumentParser), 78 a configuration the daemon cannot start with (sysexits
/// EX_CONFIG) — a supervisor should not restart on 64 or 78.
enum Startup {
    static let configurationExitCode: Int32 = 78

    /// Runs `body`; any error it throws is a configuration error: printed as one line, exit 78.
    static func configuration<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw fail(error)
        }
    }

    /// Prints `error` as `error: …` on standard error and returns the exit to throw.
    static func fail(_ error: any Error) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(ErrorText.plain(error))\n".utf8))
        return ExitCode(configurationExitCode)
    }
}

/// The HTTP side port flags every daemon shares (`--http`; see `SidePort`).
struct HTTPOptions: ParsableArguments {
    @Option(
        help:
            "HTTP side port HOST:PORT: /metrics, /healthz, /readyz, /events (port 0 picks one and prints `http on HOST:PORT`)."
    )
    var http: Endpoint?
    @Option(help: "Bearer token for the side port's changes (default: $SEMCOM_HTTP_TOKEN); required off loopback.")
    var httpToken: String?
    @Option(help: "PEM certificate: serve the side port over HTTPS (with --http-tls-key).") var httpTlsCert: String?
    @Option(help: "PEM private key of --http-tls-cert.") var httpTlsKey: String?
    @Option(help: "PEM CA certificate: HTTPS clients must present a certificate it signed.") var httpTlsCa: String?
    @Option(help: "Side-port connections open at once (kept apart from the data port's).")
    var httpMaxConnections: Int = SidePortLimits().maxConnections
    @Option(help: "Concurrent /events streams; one more gets 503 with Retry-After.")
    var httpMaxStreams: Int = SidePortLimits().maxStreams
    @Option(help: "Seconds a side-port request (head and body) may take to arrive before its connection is closed.")
    var httpRequestTimeout: Int = SidePortLimits().requestTimeout.wholeSeconds
    @Option(help: "Seconds an idle keep-alive side-port connection stays open.")
    var httpIdleTimeout: Int = SidePortLimits().idleTimeout.wholeSeconds
    @Option(
        help:
            "A host name side-port requests may carry in Host besides IP addresses, loopback names and the --http host (repeatable; DNS rebinding protection)."
    )
    var allowedHost: [String] = []
    @Option(help: "An origin whose pages may read the side port, e.g. http://127.0.0.1:8700 (repeatable; no wildcard).")
    var allowOrigin: [String] = []

    /// The side port's client limits from the flags.
    var limits: SidePortLimits {
        var limits = SidePortLimits()
        limits.maxConnections = httpMaxConnections
        limits.maxStreams = httpMaxStreams
        limits.requestTimeout = .seconds(httpRequestTimeout)
        limits.idleTimeout = .seconds(httpIdleTimeout)
        limits.allowedHosts = allowedHost
        limits.allowedOrigins = allowOrigin
        return limits
    }

    var token: String? {
        httpToken ?? ProcessInfo.processInfo.environment["SEMCOM_HTTP_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    func validate() throws {
        if http == nil, httpToken != nil || httpTlsCert != nil || httpTlsKey != nil || httpTlsCa != nil {
            throw ValidationError("--http-token and --http-tls-* need --http HOST:PORT")
        }
        guard httpMaxConnections >= 1, httpMaxStreams >= 1, httpRequestTimeout >= 1, httpIdleTimeout >= 1 else {
            throw ValidationError(
                "--http-max-connections, --http-max-streams and the --http-*-timeout flags must be at least 1")
        }
        for origin in allowOrigin where origin == "*" || !(origin.hasPrefix("http://") || origin.hasPrefix("https://"))
        {
            throw ValidationError(
                "--allow-origin \(origin): give an origin such as http://127.0.0.1:8700 (no wildcard)")
        }
    }

    /// Turns the live event stream on (before logging is bootstrapped) when a side port is asked for.
    var events: DaemonEvents? {
        guard http != nil else { return nil }
        _ = SidePortMetrics.registry
        DaemonEvents.shared.maxSubscribers = httpMaxStreams
        return .shared
    }

    /// The side port service, or nil without `--http`.
    func sidePort(
        daemon: String, readiness: Readiness, logger: Logger,
        routes: @escaping @Sendable (Router<BasicRequestContext>) -> Void = { _ in }
    ) throws -> SidePort? {
        guard let http else { return nil }
        let token = self.token
        var tls: TLSConfiguration?
        try Startup.configuration {
            try SidePort.validate(listen: http, token: token)
            if httpTlsCert != nil || httpTlsKey != nil || httpTlsCa != nil {
                tls = try TLSSettings(certificatePath: httpTlsCert, keyPath: httpTlsKey, trustRootsPath: httpTlsCa)
                    .httpServerConfiguration()
            }
        }
        return SidePort(
            configuration: .init(listen: http, daemon: daemon, token: token, tls: tls, limits: limits),
            readiness: readiness,
            logger: logger, routes: routes, onListening: { StandardOutput.writeLine("http on \($0)") })
    }
}
