import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import SemanticWire
import ServiceLifecycle
import TransportSecurity

/// A TCP connection speaking wire protocol v1: the frame codec handlers in its pipeline, messages in
/// and out through `executeThenClose`.
public typealias WireConnection = NIOAsyncChannel<WireMessage, WireMessage>

/// A connection a listener accepted, ready for messages; over TLS its handshake may still be under way.
public struct AcceptedConnection: Sendable {
    public let wire: WireConnection
    /// The end of the TLS handshake (nil on plain TCP).
    let handshake: EventLoopFuture<TLSPeer>?
}

/// A listening socket whose connections arrive ready for messages.
public typealias WireListener = NIOAsyncChannel<AcceptedConnection, Never>

/// How one side of a hop secures it: plain TCP, or TLS with verified peers.
public enum HopSecurity: Sendable {
    case plaintext
    /// A TLS listener (mutual TLS when its context verifies clients).
    case tlsServer(TLSServerContext)
    /// A TLS connection to a server whose certificate must carry `serverName` (nil: the dialled address).
    case tlsClient(NIOSSLContext, serverName: String?)

    /// The listener side of `settings` (plain TCP when no TLS flag was given).
    public static func listener(_ settings: TLSSettings) throws(TLSSetupError) -> HopSecurity {
        settings.isEmpty ? .plaintext : .tlsServer(try settings.serverContext())
    }

    /// The connecting side of `settings` towards `target`.
    public static func connection(_ settings: TLSSettings, to target: Endpoint) throws(TLSSetupError) -> HopSecurity {
        guard !settings.isEmpty else { return .plaintext }
        // SNI and name checks need a DNS name; a dialled IP address is checked against the IP SANs.
        let name = settings.serverName ?? (Endpoint.isIPAddress(target.host) ? nil : target.host)
        return .tlsClient(try settings.clientContext(), serverName: name)
    }
}

/// Opening and accepting wire connections on the shared event loop group.
public enum WireConnections {
    /// Adds the wire codec to `channel`'s pipeline and wraps it for async/await.
    static func configure(_ channel: any Channel, limits: WireLimits) throws -> WireConnection {
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(WireFrameDecoder(limits: limits)))
        try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(WireFrameEncoder(limits: limits)))
        // Reading stops while two decoded messages wait for the connection's task and resumes when none
        // does (NIO's default waits for ten): with 64 MiB frames this is what bounds a connection's memory
        // to three frames, the one in work included (docs/limits.md).
        return try WireConnection(
            wrappingChannelSynchronously: channel,
            configuration: .init(backPressureStrategy: .init(lowWatermark: 1, highWatermark: 2)))
    }

    /// Binds a listening socket at `endpoint` (port 0: a free port). Each accepted connection arrives
    /// ready for messages; over TLS with its handshake under way: `admit` waits for it (a refused peer
    /// is logged with the reason and closed, and the listener goes on). `traffic` counts its bytes.
    public static func listen(
        at endpoint: Endpoint, limits: WireLimits = .default, security: HopSecurity = .plaintext,
        traffic: WireTraffic? = nil
    ) async throws -> WireListener {
        do {
            return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                // A client that closes its side inside a frame still reads the ERROR truncated answering it.
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .bind(host: endpoint.host, port: endpoint.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        var handshake: EventLoopFuture<TLSPeer>?
                        if case .tlsServer(let server) = security {
                            handshake = try TLSHandshake.install(on: channel, with: server)
                        }
                        if let traffic {
                            try channel.pipeline.syncOperations.addHandler(traffic.handler(), position: .first)
                        }
                        return AcceptedConnection(wire: try configure(channel, limits: limits), handshake: handshake)
                    }
                }
        } catch {
            throw DaemonError.configuration(
                "cannot listen on \(endpoint): \(ErrorText.plain(error)); choose another port (0 picks a free one) or stop the "
                    + "process that holds it")
        }
    }

    /// Connects to `endpoint` within `timeout` (over TLS: the handshake too, the server verified).
    public static func connect(
        to endpoint: Endpoint, timeout: TimeAmount = TimeAmount(LinkDefaults.connectTimeout),
        limits: WireLimits = .default,
        security: HopSecurity = .plaintext, traffic: WireTraffic? = nil
    ) async throws -> WireConnection {
        let (connection, handshake) = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    var handshake: EventLoopFuture<TLSPeer>?
                    if case .tlsClient(let context, let serverName) = security {
                        handshake = try TLSHandshake.install(on: channel, with: context, serverName: serverName)
                    }
                    if let traffic {
                        try channel.pipeline.syncOperations.addHandler(traffic.handler(), position: .first)
                    }
                    return (try configure(channel, limits: limits), handshake)
                }
            }
        if let handshake {
            do {
                _ = try await handshake.get()
            } catch {
                try? await connection.executeThenClose { _, _ in }
                throw error
            }
        }
        return connection
    }

    /// Waits for an accepted connection's TLS handshake: the connection and a logger carrying its peer
    /// (address and, over TLS, the certificate's name), or nil when the peer was refused — logged with
    /// the reason, the connection closed.
    static func admit(_ accepted: AcceptedConnection, logger: Logger) async -> (WireConnection, Logger)? {
        var logger = logger
        logger[metadataKey: "peer"] = "\(peerDescription(accepted.wire))"
        guard let handshake = accepted.handshake else { return (accepted.wire, logger) }
        do {
            let peer = try await handshake.get()
            logger[metadataKey: "tls.peer"] = peer.commonName.map { .string($0) } ?? .absent
            return (accepted.wire, logger)
        } catch {
            logger.warning("tls connection refused", metadata: ["error": "\(error)"])
            try? await accepted.wire.executeThenClose { _, _ in }
            return nil
        }
    }

    /// Accepts connections until the listener closes (the caller closes it on shutdown), at most
    /// `maxConnections` open at once (one more is answered ERROR busy), each served by `serve` in a task of
    /// its own; returns once every connection has ended.
    static func serveConnections(
        of server: WireListener, maxConnections: Int, logger: Logger,
        onGracefulShutdown: @escaping @Sendable () -> Void,
        serve: @escaping @Sendable (AcceptedConnection) async -> Void
    ) async {
        let gate = ConnectionGate(limit: maxConnections)
        await withDiscardingTaskGroup { connections in
            await withGracefulShutdownHandler {
                do {
                    try await server.executeThenClose { inbound in
                        for try await accepted in inbound {
                            guard gate.enter() else {
                                connections.addTask { await refuseBusy(accepted, limit: gate.limit, logger: logger) }
                                continue
                            }
                            connections.addTask {
                                defer { gate.leave() }
                                await serve(accepted)
                            }
                        }
                    }
                } catch {
                    logger.debug("listener closed", metadata: ["error": "\(error)"])
                }
            } onGracefulShutdown: {
                onGracefulShutdown()
                server.channel.close(promise: nil)
            }
        }
    }

    /// Answers a connection over the listener's limit with ERROR busy and closes it (after its TLS
    /// handshake, so the client reads the reason).
    static func refuseBusy(_ accepted: AcceptedConnection, limit: Int, logger: Logger) async {
        guard let (connection, logger) = await admit(accepted, logger: logger) else { return }
        logger.warning(
            "connection refused: too many connections open", metadata: ["connections.limit": .stringConvertible(limit)])
        try? await connection.executeThenClose { _, outbound in
            try await outbound.write(
                .error(
                    ErrorMessage(
                        code: .busy,
                        text: "\(limit) connections are open, the limit (--max-connections); try again later")))
        }
    }

    /// The port a listening channel bound (resolves port 0).
    public static func boundEndpoint(of server: WireListener, requested: Endpoint) -> Endpoint {
        Endpoint(host: requested.host, port: server.channel.localAddress?.port ?? requested.port)
    }

    /// Logs that the daemon listens; under systemd (`Type=notify`) reports it ready. (The command line
    /// prints `listening on HOST:PORT` from the service's `onListening`.)
    static func announce(_ endpoint: Endpoint, role: String, logger: Logger) {
        logger.info("listening", metadata: ["listen": "\(endpoint)", "role": "\(role)"])
        SystemdNotify.send("READY=1")
    }

    /// The name of the remote end for logs.
    static func peerDescription(_ connection: WireConnection) -> String {
        connection.channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown"
    }
}
