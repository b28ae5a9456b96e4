import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import Testing

@testable import TransportSecurity

/// Handshakes between a TLS listener and a TLS client on loopback: who gets in, and the reasons given
/// to those who do not.
@Suite struct HandshakeTests {
    /// A CA, certificates for "receiver" and "sender", and one from another CA, in a temporary folder.
    struct Material {
        let folder: String
        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID())").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let ca = try CertificateAuthority()
            try ca.write(to: folder)
            for name in ["receiver", "sender", "stranger"] {
                try CertificateAuthority.write(ca.issue(name: name, days: 1), name: name, to: folder)
            }
            let expired = try ca.issue(
                name: "sender", notBefore: Date().addingTimeInterval(-10 * 86_400),
                notAfter: Date().addingTimeInterval(-86_400))
            try CertificateAuthority.write(expired, name: "expired", to: folder)
            let other = try CertificateAuthority(name: "other CA")
            try CertificateAuthority.write(other.issue(name: "sender", days: 1), name: "foreign", to: folder)
        }
        func path(_ name: String) -> String { "\(folder)/\(name)" }
    }

    /// Runs one handshake; returns the server's view (peer or reason) and whether the client got through.
    func handshake(
        server: TLSSettings, client: TLSSettings, serverName: String? = nil
    ) async throws -> (server: Result<TLSPeer, TLSHandshakeError>, clientOK: Bool) {
        let serverContext = try server.serverContext()
        let clientContext = try client.clientContext()
        let serverSide = NIOLockedValueBox<EventLoopFuture<TLSPeer>?>(nil)
        let group = MultiThreadedEventLoopGroup.singleton
        let listener = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handshake = try TLSHandshake.install(on: channel, with: serverContext)
                    serverSide.withLockedValue { $0 = handshake }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { listener.close(promise: nil) }
        let clientSide = NIOLockedValueBox<EventLoopFuture<TLSPeer>?>(nil)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handshake = try TLSHandshake.install(on: channel, with: clientContext, serverName: serverName)
                    clientSide.withLockedValue { $0 = handshake }
                }
            }
            .connect(host: "127.0.0.1", port: listener.localAddress!.port!).get()
        defer { channel.close(promise: nil) }
        var clientOK = true
        do { _ = try await clientSide.withLockedValue({ $0 })!.get() } catch { clientOK = false }
        var serverFuture: EventLoopFuture<TLSPeer>?
        for _ in 0..<200 where serverFuture == nil {
            serverFuture = serverSide.withLockedValue { $0 }
            if serverFuture == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        do {
            return (.success(try await #require(serverFuture).get()), clientOK)
        } catch let error as TLSHandshakeError {
            return (.failure(error), clientOK)
        }
    }

    @Test func mutualTLSAcceptsAnAllowedClientAndNamesIt() async throws {
        let m = try Material()
        let result = try await handshake(
            server: .init(
                certificatePath: m.path("receiver.crt"), keyPath: m.path("receiver.key"),
                trustRootsPath: m.path("ca.crt"), allowedNames: ["sender"]),
            client: .init(
                certificatePath: m.path("sender.crt"), keyPath: m.path("sender.key"),
                trustRootsPath: m.path("ca.crt")),
            serverName: "receiver")
        #expect(try result.server.get() == TLSPeer(commonName: "sender"))
        #expect(result.clientOK)
    }

    @Test(arguments: [
        ("expired", "expired on"),
        ("foreign", "not signed by the trusted CA"),
        ("stranger", "not in the allow-list"),
    ])
    func refusedClientCertificatesAreNamedWithTheirReason(name: String, reason: String) async throws {
        let m = try Material()
        let result = try await handshake(
            server: .init(
                certificatePath: m.path("receiver.crt"), keyPath: m.path("receiver.key"),
                trustRootsPath: m.path("ca.crt"), allowedNames: ["sender"]),
            client: .init(
                certificatePath: m.path("\(name).crt"), keyPath: m.path("\(name).key"),
                trustRootsPath: m.path("ca.crt")))
        guard case .failure(let error) = result.server else {
            Issue.record("the server accepted \(name)")
            return
        }
        // TLS 1.3: the client finishes its side before the server judges its certificate; the server
        // closes the connection, which the client sees at its first read.
        #expect(error.reason.contains(reason), "\(error.reason)")
    }

    @Test func aClientWithoutCertificateIsRefusedByMutualTLS() async throws {
        let m = try Material()
        let result = try await handshake(
            server: .init(
                certificatePath: m.path("receiver.crt"), keyPath: m.path("receiver.key"),
                trustRootsPath: m.path("ca.crt")),
            client: .init(trustRootsPath: m.path("ca.crt")))
        guard case .failure = result.server else {
            Issue.record("the server accepted a client without a certificate")
            return
        }
    }

    @Test func theClientRefusesAServerWithTheWrongName() async throws {
        let m = try Material()
        let result = try await handshake(
            server: .init(certificatePath: m.path("stranger.crt"), keyPath: m.path("stranger.key")),
            client: .init(trustRootsPath: m.path("ca.crt")), serverName: "receiver")
        #expect(!result.clientOK)
    }

    @Test func incompleteSettingsSayWhatIsMissing() throws {
        #expect(throws: TLSSetupError.self) { try TLSSettings(certificatePath: "/x.crt").serverContext() }
        #expect(throws: TLSSetupError.unreadable("/nonexistent.crt: no readable certificate file (PEM)")) {
            try TLSSettings(certificatePath: "/nonexistent.crt", keyPath: "/nonexistent.key").serverContext()
        }
        #expect(throws: TLSSetupError.self) { try TLSSettings(certificatePath: "a", keyPath: "b").clientContext() }
    }
}
