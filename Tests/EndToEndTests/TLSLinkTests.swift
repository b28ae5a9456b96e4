import Foundation
import Testing
import TransportSecurity

#if canImport(Glibc)
import Glibc
#endif

/// Mutual TLS on every hop with the real processes: `semcom certs`, a TLS receiver and relay, a TLS
/// sender; peers that must not get in are refused with a log line naming why, and the daemons go on.
@Suite("End to end: mutual TLS on every hop", .serialized)
struct TLSLinkTests {
    /// `semcom certs` output plus an expired sender certificate and one from a CA nobody trusts.
    func makeCertificates(in folder: String) async throws {
        let certs = try DaemonProcess("certs", ["certs", "--out", folder, "--names", "sender,relay,receiver"])
        #expect(try await certs.waitForExit() == 0)
        // The CA key `semcom certs` wrote is PEM; issuing an expired certificate needs the CA object, so
        // the expired one comes from a second CA whose name the test controls — and one more, untrusted.
        let ca = try CertificateAuthority()
        let expired = try ca.issue(
            name: "sender", notBefore: Date().addingTimeInterval(-10 * 86_400),
            notAfter: Date().addingTimeInterval(-86_400))
        try CertificateAuthority.write(expired, name: "expired", to: folder)
        let stranger = try CertificateAuthority(name: "untrusted CA")
        try CertificateAuthority.write(stranger.issue(name: "sender", days: 1), name: "foreign", to: folder)
        // Trust both the link's CA and the one that issued the expired certificate, so that the only thing
        // wrong with it is its date.
        let linkCA = try String(contentsOfFile: folder + "/ca.crt", encoding: .utf8)
        let extra = try ca.certificatePEM()
        try (linkCA + extra).write(toFile: folder + "/trusted.crt", atomically: true, encoding: .utf8)
    }

    func tls(_ folder: String, _ name: String) -> [String] {
        [
            "--tls-cert", "\(folder)/\(name).crt", "--tls-key", "\(folder)/\(name).key", "--tls-ca",
            "\(folder)/trusted.crt",
        ]
    }

    @Test(
        "a TLS link delivers every frame; plaintext, an unknown CA, an expired certificate and a wrong name are refused"
    )
    func mutualTLSLink() async throws {
        let workspace = try Workspace(count: 6)
        defer { workspace.remove() }
        let certs = workspace.root + "/certs"
        try await makeCertificates(in: certs)

        let receiver = try DaemonProcess(
            "receiver",
            [
                "receive", "--listen", "127.0.0.1:0", "--out", workspace.output, "--no-generate", "--tls-allow",
                "relay,sender",
            ]
                + tls(certs, "receiver"))
        let receiverPort = try await receiver.listeningPort()
        let relay = try DaemonProcess(
            "relay",
            [
                "relay", "--listen", "127.0.0.1:0", "--forward", "127.0.0.1:\(receiverPort)", "--psnr", "30",
                "--forward-tls-ca", "\(certs)/ca.crt", "--forward-tls-cert", "\(certs)/relay.crt",
                "--forward-tls-key", "\(certs)/relay.key", "--forward-tls-server-name", "receiver",
            ]
                + tls(certs, "relay"))
        let relayPort = try await relay.listeningPort()

        // Refused: plaintext, a certificate from an unknown CA, an expired one, a server of the wrong name.
        let plaintext = try DaemonProcess(
            "plaintext sender", ["send", "--connect", "127.0.0.1:\(relayPort)", "--input", workspace.scenes])
        try await relay.waitForLine(containing: "does not speak TLS")
        plaintext.signal(SIGTERM)
        for (name, reason) in [("foreign", "not signed by the trusted CA"), ("expired", "expired on")] {
            let sender = try DaemonProcess(
                "\(name) sender",
                [
                    "send", "--connect", "127.0.0.1:\(relayPort)", "--input", workspace.scenes, "--tls-server-name",
                    "relay",
                ]
                    + tls(certs, name))
            try await relay.waitForLine(containing: reason)
            sender.signal(SIGTERM)
            _ = try await sender.waitForExit()
        }
        let misdirected = try DaemonProcess(
            "misdirected sender",
            [
                "send", "--connect", "127.0.0.1:\(relayPort)", "--input", workspace.scenes, "--tls-server-name",
                "receiver",
            ]
                + tls(certs, "sender"))
        try await misdirected.waitForLine(containing: "is not for receiver (--tls-server-name)")
        misdirected.signal(SIGTERM)
        _ = try await plaintext.waitForExit()
        _ = try await misdirected.waitForExit()
        #expect(relay.lines(containing: "tls connection refused").count >= 3)

        // The daemons keep serving: a well-configured sender delivers every frame.
        let sender = try DaemonProcess(
            "sender",
            ["send", "--connect", "127.0.0.1:\(relayPort)", "--input", workspace.scenes, "--tls-server-name", "relay"]
                + tls(certs, "sender"))
        #expect(try await sender.waitForExit() == 0)
        let summary = try sender.summary()
        #expect(summary["acknowledged"] == 6 && summary["lost"] == 0)
        #expect(workspace.receivedCount == 6)
        #expect(!relay.lines(containing: "event=connection.opened", "tls.peer=sender").isEmpty)
        #expect(!receiver.lines(containing: "event=connection.opened", "tls.peer=relay").isEmpty)
        for process in [relay, receiver] { process.signal(SIGTERM) }
        for process in [relay, receiver] { #expect(try await process.waitForExit() == 0) }
    }

    @Test("a missing input folder stops the sender at start with exit 78 and one line naming it")
    func missingInputFolder() async throws {
        let sender = try DaemonProcess(
            "sender", ["send", "--connect", "127.0.0.1:9", "--input", "/nonexistent/scenes"])
        #expect(try await sender.waitForExit() == 78)
        #expect(
            !sender.lines(containing: "error: --input /nonexistent/scenes: no folder /nonexistent/scenes/images")
                .isEmpty)
    }

    @Test("negative SNRs need no '=' (`--snr -5`)")
    func negativeSNRWithoutEquals() async throws {
        let relay = try DaemonProcess(
            "relay",
            ["relay", "--listen", "127.0.0.1:0", "--forward", "127.0.0.1:9", "--snr", "-5", "--mode", "digital"])
        let line = try await relay.waitForLine(containing: "relay configured")
        #expect(line.contains("Es/N0 -5.0 dB"))
        relay.signal(SIGTERM)
        #expect(try await relay.waitForExit() == 0)
    }

    @Test("unreadable TLS files stop a daemon at start with exit 78 and one line naming the file")
    func missingCertificateIsAConfigurationError() async throws {
        let receiver = try DaemonProcess(
            "receiver",
            [
                "receive", "--listen", "127.0.0.1:0", "--out", NSTemporaryDirectory() + "semcom-unused",
                "--no-generate", "--tls-cert", "/nonexistent/receiver.crt", "--tls-key", "/nonexistent/receiver.key",
            ])
        #expect(try await receiver.waitForExit() == 78)
        #expect(!receiver.lines(containing: "error: /nonexistent/receiver.crt: no readable certificate file").isEmpty)
    }
}
