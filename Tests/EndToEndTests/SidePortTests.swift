import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The daemons' HTTP side ports during a real link: Prometheus text that counts what happened, health,
/// readiness and the live event stream.
@Suite("End to end: HTTP side ports", .serialized)
struct SidePortTests {
    /// GET `url`: status and body (curl-free: a plain URLSession request).
    static func get(_ url: String, token: String? = nil, method: String = "GET", body: Data? = nil) async throws
        -> (status: Int, body: String)
    {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.httpBody = body
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// Parses Prometheus text exposition: every sample line must be `name{labels} value`.
    static func samples(_ text: String) throws -> [String: Double] {
        var samples: [String: Double] = [:]
        let pattern = try Regex(
            #"^([a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})?) (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$"#)
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let match = String(line).wholeMatch(of: pattern), let key = match.output[1].substring,
                let value = match.output[4].substring.flatMap({ Double($0) })
            else {
                throw TestFailure("not Prometheus text: '\(line)'")
            }
            samples[String(key)] = value
        }
        return samples
    }

    /// `promtool check metrics` on an exposition: nil when it passes, promtool's complaint otherwise.
    static func promtoolComplaint(_ exposition: String) throws -> String? {
        let candidates = ["/usr/bin/promtool", "/usr/local/bin/promtool"]
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestFailure("promtool is missing: `make deps` installs it (Debian's prometheus package)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["check", "metrics"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(exposition.utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 && text.isEmpty ? nil : text
    }

    /// The port of the `http on HOST:PORT` line.
    static func httpPort(_ process: DaemonProcess) async throws -> Int {
        let line = try await process.waitForLine(containing: "http on ")
        guard let port = line.split(separator: ":").last.flatMap({ Int($0) }) else { throw TestFailure(line) }
        return port
    }

    @Test("a 64-frame link: /metrics counts exactly 64 frames at each daemon; health, readiness, events")
    func metricsCountTheLink() async throws {
        let workspace = try Workspace(count: 64)
        defer { workspace.remove() }
        let receiver = try DaemonProcess(
            "receiver",
            ["receive", "--listen", "127.0.0.1:0", "--out", workspace.output, "--no-generate", "--http", "127.0.0.1:0"])
        let receiverPort = try await receiver.listeningPort(), receiverHTTP = try await Self.httpPort(receiver)
        let relay = try DaemonProcess(
            "relay",
            [
                "relay", "--listen", "127.0.0.1:0", "--forward", "127.0.0.1:\(receiverPort)", "--snr", "30",
                "--mode", "digital", "--http", "127.0.0.1:0", "--log-level", "warning",
            ])
        let relayPort = try await relay.listeningPort(), relayHTTP = try await Self.httpPort(relay)

        let ready = try await Self.get("http://127.0.0.1:\(relayHTTP)/readyz")
        #expect(ready.status == 200 && ready.body.contains("\"ready\":true"))
        let health = try await Self.get("http://127.0.0.1:\(receiverHTTP)/healthz")
        #expect(health.status == 200 && health.body.contains("\"status\":\"ok\""))

        // --watch keeps the sender (and its side port) up after the 64 frames.
        let sender = try DaemonProcess(
            "sender",
            [
                "send", "--connect", "127.0.0.1:\(relayPort)", "--input", workspace.scenes, "--encoding", "digital",
                "--http", "127.0.0.1:0", "--watch",
            ])
        let senderHTTP = try await Self.httpPort(sender)
        try await sender.waitForLine(containing: "event=frame.acked", count: 64)
        try await receiver.waitForLine(containing: "event=frame.written", count: 64)
        let senderExposition = try await Self.get("http://127.0.0.1:\(senderHTTP)/metrics").body
        let senderMetrics = try Self.samples(senderExposition)
        #expect(try Self.promtoolComplaint(senderExposition) == nil)
        #expect(senderMetrics[#"semcom_frames_total{daemon="sender",event="sent"}"#] == 64)
        #expect(senderMetrics[#"semcom_frames_total{daemon="sender",event="acked"}"#] == 64)
        // One run, three consumers of the same typed events: the log, the /events feed and the counter agree.
        let feed = try await Self.eventsPrefix(
            "http://127.0.0.1:\(senderHTTP)/events", containing: "\"event\":\"frame.acked\"", count: 64)
        #expect(Self.dataLines(feed).filter { $0.contains("\"event\":\"frame.acked\"") }.count == 64)
        #expect(sender.lines(containing: "event=frame.acked").count == 64)
        #expect(senderMetrics[#"semcom_connections{daemon="sender",side="downstream"}"#] == 1)
        let senderReady = try await Self.get("http://127.0.0.1:\(senderHTTP)/readyz")
        #expect(senderReady.status == 200 && senderReady.body.contains("\"connected\""))
        sender.signal(SIGTERM)
        #expect(try await sender.waitForExit() == 0)
        #expect(try sender.summary()["acknowledged"] == 64)

        let relayExposition = try await Self.get("http://127.0.0.1:\(relayHTTP)/metrics").body
        let receiverExposition = try await Self.get("http://127.0.0.1:\(receiverHTTP)/metrics").body
        #expect(try Self.promtoolComplaint(relayExposition) == nil)
        #expect(try Self.promtoolComplaint(receiverExposition) == nil)
        let relayMetrics = try Self.samples(relayExposition)
        let receiverMetrics = try Self.samples(receiverExposition)
        #expect(relayMetrics[#"semcom_frames_total{daemon="relay",event="relayed"}"#] == 64)
        #expect(receiverMetrics[#"semcom_frames_total{daemon="receiver",event="received"}"#] == 64)
        #expect(receiverMetrics[#"semcom_frames_total{daemon="receiver",event="written"}"#] == 64)
        #expect(receiverMetrics[#"semcom_frames_total{daemon="receiver",event="acked"}"#] == 64)
        #expect((receiverMetrics[#"semcom_bytes_total{daemon="receiver",direction="in"}"#] ?? 0) > 0)
        // The relay logged at warning, yet its metrics counted every info event.
        #expect(relay.lines(containing: "event=frame.relayed").isEmpty)

        // The readiness of a relay whose receiver is gone: failing once a sender needs it.
        let events = try await Self.eventsPrefix(
            "http://127.0.0.1:\(receiverHTTP)/events", containing: "\"event\":\"frame.written\"")
        #expect(events.contains("\"message\":\"frame written\""))  // the line's words travel too
        for process in [relay, receiver] { process.signal(SIGTERM) }
        for process in [relay, receiver] { #expect(try await process.waitForExit() == 0) }
    }

    /// The `data:` lines of an SSE stream as read (chunked encoding puts "\n\r\n" between events, where
    /// "\r\n" is one Character: split on both).
    static func dataLines(_ received: String) -> [Substring] {
        received.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).filter { $0.hasPrefix("data: ") }
    }

    /// Reads an SSE stream until a `data:` line contains `fragment` (the recent events are replayed first),
    /// over a plain socket: the stream never ends by itself.
    static func eventsPrefix(_ url: String, containing fragment: String, count: Int = 1, timeout: Double = 10)
        async throws -> String
    {
        let parts = URL(string: url)!
        let fd = rawConnection(
            parts.port!, sending: "GET \(parts.path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var received = ""
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(timeout)
        func done() -> Bool { dataLines(received).filter { $0.contains(fragment) }.count >= count }
        while !done() {
            let n = read(fd, &buffer, buffer.count)
            if n > 0 {
                received += String(decoding: buffer[0..<n], as: UTF8.self)
                continue
            }
            guard n < 0, errno == EAGAIN, Date() < deadline else {
                throw TestFailure("\(url): stream ended without '\(fragment)':\n\(received.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(20))  // never block a cooperative thread
        }
        #expect(received.contains("text/event-stream"))
        return received
    }

    @Test("a side port off loopback without a token refuses to start (exit 78)")
    func tokenRequiredOffLoopback() async throws {
        let receiver = try DaemonProcess(
            "receiver",
            [
                "receive", "--listen", "127.0.0.1:0", "--out", NSTemporaryDirectory() + "semcom-unused",
                "--no-generate",
                "--http", "0.0.0.0:0",
            ])
        #expect(try await receiver.waitForExit() == 78)
        #expect(!receiver.lines(containing: "is not on loopback: give a bearer token").isEmpty)
    }

    /// A raw socket to 127.0.0.1:`port` with `text` written on it.
    static func rawConnection(_ port: Int, sending text: String) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        _ = text.withCString { write(fd, $0, strlen($0)) }
        return fd
    }

    @Test("SIGTERM with a side-port request body stalled half-way: the relay exits 0 within 10 s")
    func stalledBodyDoesNotHoldShutdown() async throws {
        let relay = try DaemonProcess(
            "relay",
            [
                "relay", "--listen", "127.0.0.1:0", "--forward", "127.0.0.1:9", "--snr", "10", "--http", "127.0.0.1:0",
                "--http-token", "t",
            ])
        let http = try await Self.httpPort(relay)
        let stalled = Self.rawConnection(
            http,
            sending: "PUT /channel HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer t\r\n"
                + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"snr_db\":")
        defer { close(stalled) }
        try await Task.sleep(for: .milliseconds(200))
        let start = ContinuousClock.now
        relay.signal(SIGTERM)
        #expect(try await relay.waitForExit(timeout: 10) == 0)
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test("20,000 /events connect–close cycles grow an idle receiver by at most 16 MB; it still writes frames")
    func eventStreamsCostBoundedMemory() async throws {
        let workspace = try Workspace(count: 2)
        defer { workspace.remove() }
        let receiver = try DaemonProcess(
            "receiver",
            ["receive", "--listen", "127.0.0.1:0", "--out", workspace.output, "--no-generate", "--http", "127.0.0.1:0"])
        let port = try await receiver.listeningPort(), http = try await Self.httpPort(receiver)
        _ = try await Self.get("http://127.0.0.1:\(http)/healthz")
        let before = receiver.residentKiB
        var buffer = [UInt8](repeating: 0, count: 512)
        for _ in 0..<20_000 {
            let fd = Self.rawConnection(http, sending: "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            _ = read(fd, &buffer, buffer.count)  // the status line (200, or 503 while the cap is reached)
            close(fd)
        }
        let after = receiver.residentKiB
        print("side port: 20000 /events cycles, receiver resident \(before) → \(after) KiB")
        #expect(after - before <= 16 * 1024, "grew \(after - before) KiB")
        let sender = try DaemonProcess(
            "sender",
            ["send", "--connect", "127.0.0.1:\(port)", "--input", workspace.scenes, "--encoding", "digital"])
        #expect(try await sender.waitForExit(timeout: 30) == 0)
        try await receiver.waitForLine(containing: "event=frame.written", count: 2, timeout: 5)
        receiver.signal(SIGTERM)
        #expect(try await receiver.waitForExit() == 0)
    }
}
