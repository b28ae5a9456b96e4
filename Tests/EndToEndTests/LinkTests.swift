import Foundation
import SemanticWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `semcom send`, `relay` and `receive` processes on 127.0.0.1 with ports picked by the system.
@Suite("End to end: real processes on loopback", .serialized)
struct LinkTests {
    /// Starts a receiver and a relay in front of it; returns them with the relay's port.
    func startLink(_ workspace: Workspace, channel: [String], extra: [String] = []) async throws
        -> (receiver: DaemonProcess, relay: DaemonProcess, relayPort: Int)
    {
        let receiver = try DaemonProcess(
            "receiver", ["receive", "--listen", "127.0.0.1:0", "--out", workspace.output, "--no-generate"])
        let receiverPort = try await receiver.listeningPort()
        let relay = try DaemonProcess(
            "relay", ["relay", "--listen", "127.0.0.1:0", "--forward", "127.0.0.1:\(receiverPort)"] + channel + extra)
        return (receiver, relay, try await relay.listeningPort())
    }

    func send(_ workspace: Workspace, port: Int, _ extra: [String] = []) throws -> DaemonProcess {
        try DaemonProcess(
            "sender", ["send", "--connect", "127.0.0.1:\(port)", "--input", workspace.scenes] + extra)
    }

    func stop(_ processes: DaemonProcess...) async throws {
        for process in processes { process.signal(SIGTERM) }
        for process in processes { #expect(try await process.waitForExit() == 0, "\(process.name) exit status") }
    }

    @Test(
        "analog at 30 dB PSNR: all acknowledged, maps ≥ 99 % accurate; at 5 dB still > 80 % after FDS",
        arguments: [(30.0, 0.99), (5.0, 0.80)])
    func analogLink(psnr: Double, minimumAccuracy: Double) async throws {
        let workspace = try Workspace(count: 8)
        defer { workspace.remove() }
        let (receiver, relay, port) = try await startLink(
            workspace, channel: ["--psnr", "\(psnr)", "--mode", "analog"])
        let sender = try send(workspace, port: port, ["--encoding", "analog"])
        #expect(try await sender.waitForExit() == 0)
        let summary = try sender.summary()
        #expect(summary["acknowledged"] == 8 && summary["lost"] == 0 && summary["unacknowledged"] == 0)
        #expect(workspace.receivedCount == 8)
        let accuracies = try workspace.accuracies()
        let mean = accuracies.values.reduce(0, +) / Double(max(1, accuracies.count))
        print("PSNR \(psnr) dB: mean pixel accuracy \(mean), worst \(accuracies.values.min() ?? 0)")
        #expect(accuracies.count == 8)
        #expect(mean >= minimumAccuracy)
        if psnr >= 30 { #expect(accuracies.values.allSatisfy { $0 >= minimumAccuracy }) }
        #expect(relay.lines(containing: "event=frame.relayed", "channel.model=awgn-psnr").count == 8)
        try await stop(relay, receiver)
    }

    @Test("digital at a low SNR: NACKs, retransmissions and LOST are counted; nothing disappears unreported")
    func digitalCliff() async throws {
        let workspace = try Workspace(count: 8)
        defer { workspace.remove() }
        let (receiver, relay, port) = try await startLink(
            workspace, channel: ["--snr", "7.5", "--mode", "digital", "--seed", "3"])
        let sender = try send(workspace, port: port, ["--encoding", "digital", "--max-retries", "2"])
        let status = try await sender.waitForExit()
        let summary = try sender.summary()
        let acknowledged = summary["acknowledged"] ?? -1, lost = summary["lost"] ?? -1
        // A sender that lost frames says so in its exit status (1) and one line (issue 13, #14).
        #expect(status == (lost > 0 ? 1 : 0))
        if lost > 0 { try await sender.waitForLine(containing: "frames were lost", timeout: 5) }
        print("digital at Es/N0 7.5 dB: \(summary)")
        #expect(acknowledged + lost == 8, "every frame ends acknowledged or lost")
        #expect(summary["unacknowledged"] == 0)
        #expect((summary["retransmissions"] ?? 0) > 0)
        #expect(sender.lines(containing: "event=frame.nacked").count > 0)
        // The receiver stored exactly the acknowledged frames and heard of every lost one.
        try await receiver.waitForLine(containing: "bye")
        #expect(workspace.receivedCount == acknowledged)
        #expect(receiver.lines(containing: "event=frame.written").count == acknowledged)
        #expect(receiver.lines(containing: "event=frame.lost").count == lost)
        #expect(receiver.lines(containing: "event=frame.nacked", "reason=payload-crc-mismatch").count > 0)
        try await stop(relay, receiver)
    }

    @Test(
        "coded digital link: QPSK + LDPC 1944 r=1/2 on Rayleigh at 12 dB and MCS auto on AWGN at 3 dB deliver every map exactly",
        arguments: [
            [
                "--snr", "12", "--mode", "digital", "--modulation", "qpsk", "--code", "ldpc:1944:1/2", "--fading",
                "rayleigh",
            ],
            ["--snr", "3", "--mode", "digital", "--mcs", "auto"],
        ])
    func codedDigitalLink(channel: [String]) async throws {
        let workspace = try Workspace(count: 4)
        defer { workspace.remove() }
        let (receiver, relay, port) = try await startLink(workspace, channel: channel + ["--seed", "5"])
        let sender = try send(workspace, port: port, ["--encoding", "digital"])
        #expect(try await sender.waitForExit(timeout: 60) == 0)
        let summary = try sender.summary()
        #expect(summary["acknowledged"] == 4 && summary["lost"] == 0)
        #expect(try workspace.accuracies().values.allSatisfy { $0 == 1 }, "decoded maps are bit-exact")
        let relayed = relay.lines(containing: "event=frame.relayed")
        #expect(relayed.count >= 4)
        #expect(relayed.allSatisfy { $0.contains("channel.code=ldpc") || $0.contains("channel.code=conv") })
        // The channel really corrupted bits and the code corrected them.
        #expect(relayed.contains { !$0.contains("channel.pre_fec_bit_errors=0 ") })
        try await stop(relay, receiver)
    }

    @Test(
        "context-coded maps: exact over a protocol-2 path; a protocol-1 receiver gets zlib, from the sender directly and from a relay that re-codes"
    )
    func contextCodedMaps() async throws {
        let workspace = try Workspace(count: 4)
        defer { workspace.remove() }
        let coding = ["--encoding", "digital", "--map-coding", "context"]
        // Protocol 2 end to end: every frame goes context-coded through the PHY and decodes exactly.
        let (receiver, relay, port) = try await startLink(workspace, channel: ["--snr", "12", "--mode", "digital"])
        let sender = try send(workspace, port: port, coding + ["--origin", "v2"])
        #expect(try await sender.waitForExit(timeout: 60) == 0)
        #expect(try sender.summary()["acknowledged"] == 4)
        #expect(
            sender.lines(containing: "event=frame.sent", "frame.encoding=context", "map.prior=0x", "map.zlib_bytes=")
                .count
                == 4)
        #expect(receiver.lines(containing: "event=frame.received", "frame.encoding=context").count == 4)
        #expect(try workspace.accuracies().values.allSatisfy { $0 == 1 }, "decoded maps are bit-exact")
        try await stop(relay, receiver)

        // A receiver that speaks protocol 1 only.
        let old = try DaemonProcess(
            "receiver-v1",
            ["receive", "--listen", "127.0.0.1:0", "--out", workspace.output, "--no-generate", "--max-protocol", "1"])
        let oldPort = try await old.listeningPort()
        let direct = try send(workspace, port: oldPort, coding + ["--origin", "direct"])
        #expect(try await direct.waitForExit(timeout: 60) == 0)
        #expect(try direct.summary()["acknowledged"] == 4)
        #expect(direct.lines(containing: "speaks protocol 1 only").count == 1)
        #expect(direct.lines(containing: "event=frame.sent", "frame.encoding=digital").count == 4)

        let bridge = try DaemonProcess(
            "relay-v2", ["relay", "--listen", "127.0.0.1:0", "--forward", "127.0.0.1:\(oldPort)", "--snr", "12"])
        let bridged = try send(workspace, port: try await bridge.listeningPort(), coding + ["--origin", "bridged"])
        #expect(try await bridged.waitForExit(timeout: 60) == 0)
        #expect(try bridged.summary()["acknowledged"] == 4)
        #expect(bridged.lines(containing: "event=frame.sent", "frame.encoding=context").count == 4)
        #expect(bridge.lines(containing: "context-coded map re-coded with zlib").count == 4)
        #expect(old.lines(containing: "event=frame.received", "frame.encoding=digital").count == 8)
        #expect(old.lines(containing: "frame.encoding=context").isEmpty)
        try await stop(bridge, old)
    }

    @Test("relay killed and restarted on the same port mid-stream: every frame delivered exactly once")
    func relayRestart() async throws {
        let workspace = try Workspace(count: 12)
        defer { workspace.remove() }
        let (receiver, relay, port) = try await startLink(workspace, channel: ["--psnr", "20"])
        let receiverPort = try #require(
            Int(try await receiver.waitForLine(containing: "listening on ").split(separator: ":").last ?? ""))
        let sender = try send(workspace, port: port, ["--interval-ms", "100", "--window", "2"])
        try await receiver.waitForLine(containing: "event=frame.written", count: 3)
        relay.signal(SIGKILL)
        _ = try await relay.waitForExit()
        // The sender notices on its next read or write: "connection lost" or "connection failed",
        // then its reconnection attempts fail while the relay is down.
        try await sender.waitForLine(containing: "cannot connect; retrying")
        let restarted = try DaemonProcess(
            "relay2",
            ["relay", "--listen", "127.0.0.1:\(port)", "--forward", "127.0.0.1:\(receiverPort)", "--psnr", "20"])
        _ = try await restarted.listeningPort()
        #expect(try await sender.waitForExit(timeout: 30) == 0)
        let summary = try sender.summary()
        print("relay restart: \(summary)")
        #expect(summary["acknowledged"] == 12 && summary["lost"] == 0 && summary["unacknowledged"] == 0)
        let written = receiver.lines(containing: "event=frame.written")
        #expect(written.count == 12, "each frame stored once")
        #expect(Set(written.compactMap { $0.split(separator: " ").first { $0.hasPrefix("frame.name=") } }).count == 12)
        #expect(workspace.receivedCount == 12)
        try await stop(restarted, receiver)
    }

    @Test("garbage bytes and an oversized length: ERROR, a clear log line, that connection closed, others served")
    func badConnections() async throws {
        let workspace = try Workspace(count: 2)
        defer { workspace.remove() }
        let receiver = try DaemonProcess(
            "receiver", ["receive", "--listen", "127.0.0.1:0", "--out", workspace.output, "--no-generate"])
        let port = try await receiver.listeningPort()
        // An open connection that stays quiet must not block anyone.
        let idle = try RawConnection(port: port)
        defer { idle.close() }

        let garbage = try RawConnection(port: port)
        try garbage.send(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        let answer = try garbage.readUntilClosed()
        #expect(answer.prefix(4) == [0x53, 0x4D, 0x43, 0x4D], "an ERROR frame comes back")
        #expect(answer.count > 5 && answer[5] == 6, "message type 6 (ERROR)")
        try await receiver.waitForLine(containing: "bad-magic")

        let oversized = try RawConnection(port: port)
        // Envelope: magic, version 1, type 2 (MAP_FRAME), flags, body length 0xFFFFFFFF.
        try oversized.send([0x53, 0x4D, 0x43, 0x4D, 1, 2, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
        let refusal = try oversized.readUntilClosed()
        #expect(refusal.count > 5 && refusal[5] == 6)
        try await receiver.waitForLine(containing: "length-over-limit")

        let sender = try send(workspace, port: port)
        #expect(try await sender.waitForExit() == 0)
        #expect(try sender.summary()["acknowledged"] == 2)
        #expect(workspace.receivedCount == 2)
        try await stop(receiver)
    }

    @Test("a framing error after HELLO at the relay: the ERROR reaches the client before the close")
    func relayDeliversErrorAfterHello() async throws {
        let workspace = try Workspace(count: 1)
        defer { workspace.remove() }
        let (receiver, relay, port) = try await startLink(workspace, channel: ["--psnr", "20"])
        let client = try RawConnection(port: port)
        try client.send(try WireMessage.hello(.offer(role: .sender, peerName: "raw", origin: "raw")).encodedBytes())
        try await relay.waitForLine(containing: "event=connection.hello")
        try client.send(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        let answer = try client.readUntilClosed()
        // Walk the frames that came back: HELLO, then ERROR (type 6).
        var types: [UInt8] = []
        var offset = 0
        while offset + 20 <= answer.count, Array(answer[offset..<offset + 4]) == [0x53, 0x4D, 0x43, 0x4D] {
            types.append(answer[offset + 5])
            let body = answer[offset + 8..<offset + 12].reduce(0) { $0 << 8 | Int($1) }
            offset += 20 + body
        }
        #expect(types.first == 1 && types.contains(6), "frame types \(types)")
        try await relay.waitForLine(containing: "bad-magic")
        try await stop(relay, receiver)
    }

    @Test("SIGTERM: each daemon exits 0, also with connections open")
    func gracefulShutdown() async throws {
        let workspace = try Workspace(count: 4)
        defer { workspace.remove() }
        let (receiver, relay, port) = try await startLink(workspace, channel: ["--psnr", "10"])
        let sender = try send(workspace, port: port, ["--watch"])
        try await sender.waitForLine(containing: "event=frame.acked", count: 4)
        // The relay stops first, with both of its connections open; the sender keeps trying to reconnect.
        relay.signal(SIGTERM)
        #expect(try await relay.waitForExit() == 0)
        try await sender.waitForLine(containing: "connection closed")
        sender.signal(SIGTERM)
        #expect(try await sender.waitForExit() == 0)
        #expect(try sender.summary()["acknowledged"] == 4)
        receiver.signal(SIGINT)
        #expect(try await receiver.waitForExit() == 0)
    }
}

/// A plain TCP client for feeding a server bytes that are not the protocol.
final class RawConnection {
    private let socket: Int32

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else { throw TestFailure("cannot connect to 127.0.0.1:\(port)") }
    }

    func send(_ bytes: [UInt8]) throws {
        guard Glibc.send(socket, bytes, bytes.count, 0) == bytes.count else { throw TestFailure("send failed") }
    }

    /// Reads until the server closes the connection (or 10 s pass).
    func readUntilClosed() throws -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(socket, &buffer, buffer.count, 0)
            if n < 0 { throw TestFailure("the server did not close the connection") }
            if n == 0 { return result }
            result += buffer[0..<n]
        }
    }

    func close() { Glibc.close(socket) }
}
