import Daemons
import Foundation
import Hummingbird
import HummingbirdTesting
import Link
import Logging
import NIOCore
import Prometheus
import Synchronization
import Testing

@testable import SidePort

#if canImport(Glibc)
import Glibc
#endif

/// Issue 32's defects, each as a test that failed on the code before it: hostile clients on the same
/// machine or in a browser.
@Suite("Side port against hostile clients")
struct HardeningTests {
    typealias Router = ControlRouterTests

    @Test("the Host allow-list: IP literals, loopback names, the listen host and allowed names only")
    func hostAllowList() {
        let list = HostAllowList(listenHost: "0.0.0.0", extra: ["relay.internal"])
        for host in ["127.0.0.1:1", "localhost", "[::1]:7201", "10.1.2.3:80", "relay.internal:8080", "RELAY.internal"] {
            #expect(list.allows(host), "\(host)")
        }
        for host in ["rebind.example:8700", "127.example.net", "evil.example"] {
            #expect(!list.allows(host), "\(host)")
        }
        #expect(list.allows(nil))  // no Host: not a browser
    }

    @Test("CORS: only the origins given, by name; never *; preflights of others refused")
    func cors() async throws {
        var limits = SidePortLimits()
        limits.allowedOrigins = ["http://127.0.0.1:8700"]
        let control = try RelayChannelControl(settings: ChannelSettings())
        try await Router.application(control: control, limits: limits).test(.router) { client in
            try await client.execute(uri: "/channel", method: .get, headers: [.origin: "http://127.0.0.1:8700"]) {
                #expect($0.headers[.accessControlAllowOrigin] == "http://127.0.0.1:8700")
            }
            try await client.execute(uri: "/channel", method: .get, headers: [.origin: "http://evil.example"]) {
                #expect($0.headers[.accessControlAllowOrigin] == nil)
            }
            try await client.execute(
                uri: "/channel", method: .options,
                headers: [.origin: "http://evil.example", .accessControlRequestMethod: "PUT"]
            ) { #expect($0.status == .forbidden && $0.headers[.accessControlAllowOrigin] == nil) }
            try await client.execute(
                uri: "/channel", method: .options,
                headers: [.origin: "http://127.0.0.1:8700", .accessControlRequestMethod: "PUT"]
            ) { #expect($0.status == .noContent && $0.headers[.accessControlAllowOrigin] != "*") }
        }
    }

    @Test("HEAD answers as GET without a body; Expect is refused with 417; the Bearer scheme in any case")
    func smallOnes() async throws {
        let control = try RelayChannelControl(settings: ChannelSettings())
        try await Router.application(control: control).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .head) { response in
                #expect(response.status == .ok && response.body.readableBytes == 0)
            }
            try await client.execute(
                uri: "/channel", method: .put,
                headers: [.expect: "100-continue", .authorization: "Bearer \(Router.token)"],
                body: ByteBuffer(string: #"{"snr_db": 3}"#)
            ) { #expect($0.status == .expectationFailed) }
            try await client.execute(
                uri: "/channel", method: .put, headers: [.authorization: "bearer \(Router.token)"],
                body: ByteBuffer(string: #"{"snr_db": 3}"#)
            ) { #expect($0.status == .ok) }
        }
        #expect(BearerTokenMiddleware<BasicRequestContext>.credentials("BEARER  abc") == "abc")
        #expect(BearerTokenMiddleware<BasicRequestContext>.credentials("Basic abc") == "")
    }

    @Test(
        "a 100000-point schedule: GET /channel stays small (time: make sideport-abuse), its points have their own route"
    )
    func largeSchedule() async throws {
        let control = try RelayChannelControl(settings: ChannelSettings())
        let points = (0..<100_000).map { ["seconds": Double($0) / 10, "snr_db": Double($0 % 40) - 10] }
        let body = try JSONSerialization.data(withJSONObject: ["points": points, "interpolation": "linear"])
        try await Router.application(control: control).test(.router) { client in
            try await client.execute(
                uri: "/channel/schedule", method: .post, headers: Router.authorized(), body: ByteBuffer(bytes: body)
            ) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes < 4096)
            }
            for _ in 0..<8 {
                try await client.execute(uri: "/channel", method: .get) { #expect($0.body.readableBytes < 4096) }
            }
            try await client.execute(uri: "/channel/schedule", method: .get) { response in
                let decoded = try JSONDecoder().decode(
                    SidePortAPI.SchedulePoints.self, from: Data(response.body.readableBytesView))
                #expect(decoded.points.count == 100_000 && response.headers[.eTag] == "\"\(decoded.digest)\"")
            }
        }
    }

    @Test(
        "schedule parsers take finite numbers only",
        arguments: [
            ("text/csv", "0,1\u{0}junk\n", "points"), ("text/csv", "0,nan\n", "points"),
            ("text/csv", "0,1e999\n", "points"),
            ("application/json", #"{"points": [{"seconds": 0, "snr_db": "5"}]}"#, "snr_db"),
            ("application/json", #"{"points": [{"seconds": 0, "snr_db": 5, "x": 1}]}"#, "x"),
            ("application/json", #"{"points": [{"seconds": 0, "snr_db": 5}], "colour": 1}"#, "colour"),
        ])
    func strictSchedules(contentType: String, body: String, field: String) async throws {
        let control = try RelayChannelControl(settings: ChannelSettings())
        try await Router.application(control: control).test(.router) { client in
            var headers = Router.authorized()
            headers[.contentType] = contentType
            try await client.execute(
                uri: "/channel/schedule", method: .post, headers: headers, body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status == .badRequest, "\(body)")
                let problem = try? JSONDecoder().decode(
                    SidePortAPI.Problem.self, from: Data(response.body.readableBytesView))
                #expect(problem?.field == field, "\(body)")
            }
        }
        #expect(control.snapshot.schedule == nil)
    }

    @Test("the event hub: one shared replay, a cap on subscribers, a closed subscriber leaves at once")
    func boundedEvents() async {
        let events = DaemonEvents(maxSubscribers: 2)
        events.activate()
        for i in 0..<(DaemonEvents.replayCapacity + 10) {
            events.publish(DaemonEvent(level: .info, label: "relay", message: "m", metadata: ["i": "\(i)"]))
        }
        let first = events.subscribe(), second = events.subscribe()
        #expect(first != nil && second != nil && events.subscribe() == nil)
        #expect(first?.replay.count == DaemonEvents.replayCapacity)
        first?.cancel()
        #expect(events.subscriberCount == 1 && events.subscribe() != nil)
        // A reader that never reads skips ahead; it never holds more than its buffer.
        for _ in 0..<(DaemonEvents.subscriberBuffer * 3) {
            events.publish(DaemonEvent(level: .info, label: "relay", message: "m", metadata: [:]))
        }
        #expect(events.skipped >= DaemonEvents.subscriberBuffer * 2)
    }

    @Test("paths are cut to their last components in the event feed")
    func noFoldersInEvents() {
        let cut = LiveLogHandler.withoutFolders(["file": "/srv/out/cam-1/a.labels.png", "input": "/home/u/scenes"])
        #expect(cut["file"].map { "\($0)" } == "cam-1/a.labels.png" && cut["input"].map { "\($0)" } == "scenes")
    }

    @Test("loopback is decided on addresses")
    func loopback() {
        #expect(Endpoint(host: "127.0.0.2", port: 1).isLoopback && Endpoint(host: "::1", port: 1).isLoopback)
        #expect(Endpoint(host: "localhost", port: 1).isLoopback)
        #expect(!Endpoint(host: "127.example.invalid", port: 1).isLoopback)
        #expect(!Endpoint(host: "0.0.0.0", port: 1).isLoopback && !Endpoint(host: "10.0.0.1", port: 1).isLoopback)
    }

    @Test("the dashboard refuses changes from a foreign Origin and honours its token on loopback")
    func dashboardOrigin() async throws {
        let router = Hummingbird.Router()
        router.add(middleware: SameOriginChangesMiddleware())
        router.add(middleware: BearerTokenMiddleware(token: "t"))
        router.put("/api/relay/channel") { _, _ in Response(status: .ok) }
        try await Application(router: router).test(.router) { client in
            try await client.execute(
                uri: "/api/relay/channel", method: .put,
                headers: [.origin: "http://evil.example", .authorization: "Bearer t"]
            ) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/api/relay/channel", method: .put) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/relay/channel", method: .put, headers: [.authorization: "Bearer t"]) {
                #expect($0.status == .ok)
            }
        }
    }
}

/// The connection guard on a real socket: caps and request deadlines.
@Suite("Side-port connection hygiene, on a socket", .serialized)
struct ConnectionHygieneTests {
    /// Starts a side port with `limits`; returns its port and the task running it.
    static func start(_ limits: SidePortLimits) async throws -> (port: Int, task: Task<Void, any Error>) {
        let bound = Mutex<Int?>(nil)
        let sidePort = SidePort(
            configuration: .init(
                listen: Endpoint(host: "127.0.0.1", port: 0), daemon: "relay", token: "t", limits: limits),
            readiness: Readiness(checks: []), events: DaemonEvents(), registry: PrometheusCollectorRegistry(),
            logger: Logger(label: "test"), onListening: { endpoint in bound.withLock { $0 = endpoint.port } })
        let task = Task { try await sidePort.run() }
        for _ in 0..<200 {
            if let port = bound.withLock({ $0 }) { return (port, task) }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw CancellationError()
    }

    /// A connected socket to 127.0.0.1:`port`.
    static func connect(_ port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return fd
    }

    /// Whether the peer closed `fd` within `limit` (a read returns 0 or fails).
    static func closedByPeer(_ fd: Int32, within limit: Duration) async -> Bool {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let deadline = ContinuousClock.now + limit
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            let n = read(fd, &buffer, buffer.count)
            if n == 0 || (n < 0 && errno != EAGAIN) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// The status line of the answer to `request` sent as it is.
    static func statusLine(_ port: Int, _ request: String) -> String {
        let fd = connect(port)
        defer { close(fd) }
        _ = request.withCString { write(fd, $0, strlen($0)) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = read(fd, &buffer, buffer.count)
        return String(decoding: buffer.prefix(max(0, n)), as: UTF8.self).split(separator: "\r\n").first.map(String.init)
            ?? ""
    }

    @Test("a foreign Host name is refused with 421 on a live side port (DNS rebinding); IP literals pass")
    func foreignHost() async throws {
        let (port, task) = try await Self.start(SidePortLimits())
        defer { task.cancel() }
        #expect(Self.statusLine(port, "GET /healthz HTTP/1.1\r\nHost: rebind.example:\(port)\r\n\r\n").contains("421"))
        #expect(Self.statusLine(port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n").contains("200"))
        #expect(Self.statusLine(port, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").contains("200"))
    }

    @Test("a stalled head or body is closed after the request timeout; a connection over the cap at once")
    func deadlinesAndCap() async throws {
        var limits = SidePortLimits()
        limits.requestTimeout = .seconds(3)
        limits.maxConnections = 2
        let (port, task) = try await Self.start(limits)
        defer { task.cancel() }
        let stalledHead = Self.connect(port)
        _ = "GET /healthz HTTP/1.1\r\nHost: 127".withCString { write(stalledHead, $0, strlen($0)) }
        let stalledBody = Self.connect(port)
        _ = "PUT /channel HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{".withCString {
            write(stalledBody, $0, strlen($0))
        }
        try await Task.sleep(for: .milliseconds(500))  // both accepted and counted first
        let third = Self.connect(port)
        #expect(await Self.closedByPeer(third, within: .milliseconds(1500)))  // long before the request timeout
        #expect(await Self.closedByPeer(stalledHead, within: .seconds(6)))
        #expect(await Self.closedByPeer(stalledBody, within: .seconds(6)))
        for fd in [stalledHead, stalledBody, third] { close(fd) }
        // Slots freed: a new client is served.
        let fresh = Self.connect(port)
        _ = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".withCString {
            write(fresh, $0, strlen($0))
        }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = read(fresh, &buffer, buffer.count)
        #expect(n > 0 && String(decoding: buffer.prefix(max(0, n)), as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        close(fresh)
    }
}
