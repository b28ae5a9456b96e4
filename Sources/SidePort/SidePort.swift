import Daemons
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import Metrics
import NIOCore
import NIOSSL
import Prometheus
import ServiceLifecycle

/// A daemon's HTTP side port (`--http HOST:PORT`): what machines scrape and probe, and what a dashboard
/// watches.
///
/// - `GET /metrics`: Prometheus text (swift-metrics through swift-prometheus);
/// - `GET /healthz`: the process is alive (`{"status":"ok",…}`);
/// - `GET /readyz`: `Readiness` checks; 200 when ready, 503 otherwise;
/// - `GET /events`: the live events as Server-Sent Events, one JSON object per event (the fields of
///   `--log-format json`), the recent ones first;
/// - whatever `routes` adds (the relay's channel control).
///
/// Requests that change something must carry `Authorization: Bearer TOKEN` (`BearerTokenMiddleware`).
public struct SidePort: Service {
    /// Everything the side port is started with (the command line's flags).
    public struct Configuration: Sendable {
        public var listen: Endpoint
        /// `sender`, `relay` or `receiver`.
        public var daemon: String
        /// The token that changes require; nil: changes are refused (a port off loopback needs one).
        public var token: String?
        /// TLS for the side port (nil: plain HTTP).
        public var tls: TLSConfiguration?
        /// What clients may do, and for how long (caps, timeouts, Host names, CORS origins).
        public var limits: SidePortLimits

        public init(
            listen: Endpoint, daemon: String, token: String?, tls: TLSConfiguration? = nil,
            limits: SidePortLimits = SidePortLimits()
        ) {
            self.listen = listen
            self.daemon = daemon
            self.token = token
            self.tls = tls
            self.limits = limits
        }
    }

    public let configuration: Configuration
    let readiness: Readiness
    let events: DaemonEvents
    let registry: PrometheusCollectorRegistry
    let routes: @Sendable (Router<BasicRequestContext>) -> Void
    let logger: Logger
    let started = Date()
    private let bound: @Sendable (Endpoint) -> Void

    /// - Parameters:
    ///   - routes: adds the daemon's own endpoints (the token guards those that change something).
    ///   - onListening: called with the bound endpoint (port 0 resolved).
    public init(
        configuration: Configuration, readiness: Readiness, events: DaemonEvents = .shared,
        registry: PrometheusCollectorRegistry = SidePortMetrics.registry, logger: Logger,
        routes: @escaping @Sendable (Router<BasicRequestContext>) -> Void = { _ in },
        onListening: @escaping @Sendable (Endpoint) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.readiness = readiness
        self.events = events
        self.registry = registry
        self.routes = routes
        self.logger = logger
        self.bound = onListening
    }

    /// Refuses a side port off loopback without a token: anyone who reaches it could change the daemon.
    public static func validate(listen: Endpoint, token: String?) throws {
        guard token?.isEmpty ?? true else { return }
        if !listen.isLoopback {
            throw DaemonError.configuration(
                "--http \(listen) is not on loopback: give a bearer token (--http-token or SEMCOM_HTTP_TOKEN) so that "
                    + "only its holders can change this daemon")
        }
    }

    /// The router: Host, Expect and CORS checks, the token check, the standard routes and the daemon's own.
    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        let limits = configuration.limits
        router.add(
            middleware: BrowserSafetyMiddleware(
                hosts: HostAllowList(listenHost: configuration.listen.host, extra: limits.allowedHosts),
                allowedOrigins: limits.allowedOrigins))
        router.add(middleware: BearerTokenMiddleware(token: configuration.token))
        addStandardRoutes(to: router)
        routes(router)
        return router
    }

    public func run() async throws {
        let router = makeRouter()
        let daemon = configuration.daemon
        let bound = self.bound
        let logger = self.logger
        let host = configuration.listen.host
        let onRunning: @Sendable (any Channel) async -> Void = { channel in
            let endpoint = Endpoint(host: host, port: channel.localAddress?.port ?? 0)
            logger.info("http listening", metadata: ["http": "\(endpoint)", "role": "\(daemon)"])
            bound(endpoint)
        }
        var httpLogger = logger
        httpLogger.logLevel = .warning
        let app = try Self.application(
            router: router, listen: configuration.listen, serverName: "semcom-\(daemon)", tls: configuration.tls,
            limits: configuration.limits, onServerRunning: onRunning, logger: httpLogger)
        let events = self.events
        try await withGracefulShutdownHandler {
            try await app.run()
        } onGracefulShutdown: {
            events.finishSubscribers()  // open /events streams end, so the server can stop
        }
    }

    /// A Hummingbird application with the side port's connection hygiene: at most `limits.maxConnections`
    /// connections, each request within `limits.requestTimeout`, idle keep-alive connections closed after
    /// `limits.idleTimeout` (the dashboard uses it too).
    static func application(
        router: Router<BasicRequestContext>, listen: Endpoint, serverName: String, tls: TLSConfiguration?,
        limits: SidePortLimits, onServerRunning: @escaping @Sendable (any Channel) async -> Void, logger: Logger
    ) throws -> Application<HeadAsGetResponder<RouterResponder<BasicRequestContext>>> {
        let gauge = ConnectionGauge(limit: limits.maxConnections)
        let requestTimeout = TimeAmount(limits.requestTimeout)
        let http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionGuard(gauge: gauge, requestTimeout: requestTimeout)],
            idleTimeout: TimeAmount(limits.idleTimeout))
        let server: HTTPServerBuilder =
            try tls.map { try .tls(.http1(configuration: http), tlsConfiguration: $0) }
            ?? .http1(configuration: http)
        return Application(
            router: HeadAsGetRouter(router), server: server,
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: serverName),
            onServerRunning: onServerRunning, logger: logger)
    }

    private func addStandardRoutes(to router: Router<BasicRequestContext>) {
        let registry = self.registry, readiness = self.readiness, events = self.events
        let daemon = configuration.daemon, started = self.started
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("/healthz") { _, _ -> Response in
            SidePortAPI.response(
                .ok,
                SidePortAPI.Health(daemon: daemon, pid: Int(getpid()), uptimeS: Date().timeIntervalSince(started)))
        }
        router.get("/readyz") { _, _ -> Response in
            let ready = readiness.isReady
            let checks = readiness.snapshot.mapValues {
                SidePortAPI.ReadinessReport.Check(state: $0.state.rawValue, detail: $0.detail)
            }
            return SidePortAPI.response(
                ready ? .ok : .serviceUnavailable,
                SidePortAPI.ReadinessReport(ready: ready, daemon: daemon, checks: checks))
        }
        let heartbeat = configuration.limits.heartbeat
        router.get("/events") { _, _ -> Response in
            guard let subscription = events.subscribe() else {
                var refused = SidePortAPI.problem(
                    .serviceUnavailable, "too many /events streams open (--http-max-streams); retry shortly")
                refused.headers[.retryAfter] = "\(max(1, heartbeat.wholeSeconds))"
                return refused
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    defer { subscription.cancel() }
                    // A comment line first, so that clients see the stream open at once.
                    try await writer.write(ByteBuffer(string: ": semcom \(daemon) events\n\n"))
                    for event in subscription.replay {
                        try await writer.write(ByteBuffer(string: "data: \(event.json)\n\n"))
                    }
                    // Heartbeats wake the loop while the daemon is idle: the write to a closed connection
                    // fails, and the subscription is freed then, not at the next event.
                    let pinger = Task {
                        while (try? await Task.sleep(for: heartbeat)) != nil { subscription.ping() }
                    }
                    defer { pinger.cancel() }
                    for await item in subscription.live {
                        switch item {
                        case .event(let event): try await writer.write(ByteBuffer(string: "data: \(event.json)\n\n"))
                        case .heartbeat: try await writer.write(ByteBuffer(string: ": ping\n\n"))
                        }
                    }
                    try await writer.finish(nil)
                })
        }
    }
}

/// The process's Prometheus registry, bootstrapped once as swift-metrics' backend, fed by the live events.
public enum SidePortMetrics {
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(DescribedMetricsFactory(registry: registry))
        DaemonEvents.shared.observe { TransmissionMetrics.record($0) }
        return registry
    }()
}
