import Daemons
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `semcom dashboard`: serves the live page (`DashboardPage`) for a link whose daemons run with
/// `--http`. The browser follows the daemons' side ports directly (events, pictures, channel); the one
/// change it can make, the relay's channel, goes through this server, which holds the relay's token —
/// so the page never sees it. Off loopback the dashboard itself needs a token for that change.
public struct Dashboard: Service {
    /// Everything the dashboard is started with (the command line's flags).
    public struct Configuration: Sendable {
        public var listen: Endpoint
        /// Side port base URLs (`http://HOST:PORT`), each optional.
        public var sender: String?
        public var relay: String?
        public var receiver: String?
        /// The relay's bearer token (changes disabled without it).
        public var relayToken: String?
        /// The dashboard's own token for changes: required when it listens off loopback, honoured on
        /// loopback too when given.
        public var token: String?
        /// Connection hygiene and the extra Host names it answers to (`--allowed-host`).
        public var limits: SidePortLimits

        public init(
            listen: Endpoint, sender: String?, relay: String?, receiver: String?, relayToken: String?, token: String?,
            limits: SidePortLimits = SidePortLimits()
        ) {
            self.listen = listen
            self.sender = sender
            self.relay = relay
            self.receiver = receiver
            self.relayToken = relayToken
            self.token = token
            self.limits = limits
        }
    }

    public let configuration: Configuration
    let logger: Logger
    private let bound: @Sendable (Endpoint) -> Void

    public init(
        configuration: Configuration, logger: Logger, onListening: @escaping @Sendable (Endpoint) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.bound = onListening
    }

    public func run() async throws {
        let configuration = self.configuration
        let started = Date()
        let router = Router()
        // Host names it answers to (DNS rebinding), no CORS at all: the page is the only client it serves.
        router.add(
            middleware: BrowserSafetyMiddleware(
                hosts: HostAllowList(listenHost: configuration.listen.host, extra: configuration.limits.allowedHosts),
                allowedOrigins: []))
        // Changes: from the page's own origin only (a foreign page cannot make the dashboard use the relay's
        // token), and with the dashboard's token whenever it was given (loopback too).
        router.add(middleware: SameOriginChangesMiddleware())
        if let token = configuration.token, !token.isEmpty {
            router.add(middleware: BearerTokenMiddleware(token: token))
        }
        let policy = DashboardPage.contentSecurityPolicy(
            daemons: [configuration.sender, configuration.relay, configuration.receiver].compactMap { $0 })
        router.get("/") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [
                    .contentType: "text/html; charset=utf-8", .cacheControl: "no-cache",
                    .contentSecurityPolicy: policy,
                ],
                body: .init(byteBuffer: ByteBuffer(string: DashboardPage.html)))
        }
        router.get("/config.json") { _, _ -> Response in
            SidePortAPI.response(
                .ok,
                PageConfiguration(
                    sender: configuration.sender, relay: configuration.relay, receiver: configuration.receiver,
                    control: configuration.relay != nil && configuration.relayToken != nil,
                    tokenRequired: !(configuration.token ?? "").isEmpty))
        }
        router.get("/healthz") { _, _ -> Response in
            SidePortAPI.response(
                .ok,
                SidePortAPI.Health(daemon: "dashboard", pid: Int(getpid()), uptimeS: Date().timeIntervalSince(started)))
        }
        let logger = self.logger
        router.put("/api/relay/channel") { request, _ -> Response in
            guard let relay = configuration.relay, let token = configuration.relayToken else {
                return SidePortAPI.problem(.conflict, "no relay with a token configured (--relay URL, --relay-token)")
            }
            let body = try await request.body.collect(upTo: 1 << 20)
            var forward = URLRequest(url: URL(string: relay + "/channel")!)
            forward.httpMethod = "PUT"
            forward.httpBody = Data(body.readableBytesView)
            forward.setValue("application/json", forHTTPHeaderField: "Content-Type")
            forward.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            if let condition = request.headers[.ifMatch] { forward.setValue(condition, forHTTPHeaderField: "If-Match") }
            forward.timeoutInterval = 5
            do {
                let (data, response) = try await URLSession.shared.data(for: forward)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 502
                logger.info("channel change forwarded", metadata: ["relay": "\(relay)", "status": "\(status)"])
                return Response(
                    status: .init(code: status), headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(bytes: data)))
            } catch {
                return SidePortAPI.problem(.badGateway, "relay \(relay) unreachable: \(error)")
            }
        }
        let bound = self.bound
        let host = configuration.listen.host
        var httpLogger = logger
        httpLogger.logLevel = .warning
        let app = try SidePort.application(
            router: router, listen: configuration.listen, serverName: "semcom-dashboard", tls: nil,
            limits: configuration.limits,
            onServerRunning: { channel in
                let endpoint = Endpoint(host: host, port: channel.localAddress?.port ?? 0)
                logger.info("dashboard listening", metadata: ["url": "http://\(endpoint)/"])
                bound(endpoint)
            }, logger: httpLogger)
        try await app.run()
    }
}

/// `GET /config.json` of the dashboard: the side ports the page follows, and whether it may change the channel.
struct PageConfiguration: Encodable {
    var sender: String?
    var relay: String?
    var receiver: String?
    var control: Bool
    /// The dashboard wants its token with every change (the page asks for it).
    var tokenRequired: Bool

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sender, forKey: .sender)  // null, not absent: the page tests for null
        try container.encode(relay, forKey: .relay)
        try container.encode(receiver, forKey: .receiver)
        try container.encode(control, forKey: .control)
        try container.encode(tokenRequired, forKey: .tokenRequired)
    }

    enum CodingKeys: String, CodingKey { case sender, relay, receiver, control, tokenRequired = "token_required" }
}

/// Refuses a change (any method but GET, HEAD and OPTIONS) whose `Origin` is not the server's own origin:
/// browsers send `Origin` with every such request, so a page elsewhere cannot drive the dashboard (and the
/// relay's token it holds). Requests without `Origin` (curl, scripts) are not browser requests and pass.
struct SameOriginChangesMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard ![.get, .head, .options].contains(request.method), let origin = request.headers[.origin] else {
            return try await next(request, context)
        }
        let authority = request.head.authority ?? ""
        guard origin == "http://\(authority)" || origin == "https://\(authority)" else {
            return SidePortAPI.problem(.forbidden, "changes come from the dashboard's own page only (Origin \(origin))")
        }
        return try await next(request, context)
    }
}
