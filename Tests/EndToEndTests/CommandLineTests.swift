import Foundation
import Testing

/// The command line as a user meets it (issue 13, #14): negative numbers, usage errors as one line and
/// exit 2, runtime failures as one plain line and exit 1, typed JSON logs.
@Suite("Command line: errors and exit statuses", .serialized)
struct CommandLineTests {
    @Test("a usage error is one line and exit 2; --snr -5 is a value, not a flag")
    func usageError() async throws {
        let relay = try DaemonProcess(
            "relay", ["relay", "--listen", "127.0.0.1:0", "--forward", "127.0.0.1:1", "--snr", "-5", "--bogus"])
        #expect(try await relay.waitForExit() == 2)
        #expect(relay.output == ["error: Unknown option '--bogus' (see --help)"])
    }

    @Test("a port taken: one plain line (no NIO dump), exit 78")
    func portTaken() async throws {
        let out = NSTemporaryDirectory() + "semcom-cli-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: out) }
        let first = try DaemonProcess(
            "receiver", ["receive", "--listen", "127.0.0.1:0", "--out", out, "--no-generate"])
        let port = try await first.listeningPort()
        let second = try DaemonProcess(
            "receiver2",
            ["receive", "--listen", "127.0.0.1:\(port)", "--out", out, "--no-generate", "--log-level", "error"])
        #expect(try await second.waitForExit() == 78)
        let errors = second.output.filter { $0.hasPrefix("error: ") }
        #expect(errors.count == 1)
        #expect(
            errors.allSatisfy {
                !$0.contains("descriptor") && !$0.contains("errno") && $0.contains("address already in use")
            })
        first.signal(SIGTERM)
        _ = try await first.waitForExit()
    }

    @Test("an unreachable peer: frames LOST within --max-reconnect, exit 1, typed JSON log lines")
    func unreachableExitsOne() async throws {
        let workspace = try Workspace(count: 2)
        defer { workspace.remove() }
        let sender = try DaemonProcess(
            "sender",
            [
                "send", "--connect", "127.0.0.1:1", "--input", workspace.scenes, "--max-reconnect", "1", "--log-format",
                "json",
            ])
        #expect(try await sender.waitForExit() == 1)
        #expect(sender.output.last == "error: 2 of 2 frames were lost")
        let lost = sender.output.filter { $0.contains("\"event\":\"frame.lost\"") }
        #expect(lost.count == 2)
        for line in lost {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["frame.id"] is NSNumber && !(object["frame.id"] is String))
            #expect(object["frame.attempts"] is NSNumber)
            #expect(object["frame.name"] is String)
        }
    }
}
