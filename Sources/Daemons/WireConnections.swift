import Foundation
import Logging
import NIOCore
import NIOPosix
import SemanticWire

/// A TCP connection speaking wire protocol v1: the frame codec handlers in its pipeline, messages in
/// and out through `executeThenClose`.
public typealias WireConnection = NIOAsyncChannel<WireMessage, WireMessage>

/// Opening and accepting wire connections on the shared event loop group.
public enum WireConnections {
    /// Adds the wire codec to `channel`'s pipeline and wraps it for async/await.
    static func configure(_ channel: any Channel, limits: WireLimits) -> EventLoopFuture<WireConnection> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                ByteToMessageHandler(WireFrameDecoder(limits: limits)))
            try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(WireFrameEncoder(limits: limits)))
            return try WireConnection(wrappingChannelSynchronously: channel)
        }
    }

    /// Binds a listening socket at `endpoint` (port 0: a free port); each accepted connection arrives
    /// ready for messages.
    public static func listen(
        at endpoint: Endpoint, limits: WireLimits = .default
    ) async throws -> NIOAsyncChannel<WireConnection, Never> {
        do {
            return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .bind(host: endpoint.host, port: endpoint.port) { channel in configure(channel, limits: limits) }
        } catch {
            throw DaemonError(
                "cannot listen on \(endpoint): \(error); choose another port (0 picks a free one) or stop the "
                    + "process that holds it")
        }
    }

    /// Connects to `endpoint` within `timeout`.
    public static func connect(
        to endpoint: Endpoint, timeout: TimeAmount = .seconds(3), limits: WireLimits = .default
    ) async throws -> WireConnection {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: endpoint.host, port: endpoint.port) { channel in configure(channel, limits: limits) }
    }

    /// The port a listening channel bound (resolves port 0).
    public static func boundEndpoint(of server: NIOAsyncChannel<WireConnection, Never>, requested: Endpoint) -> Endpoint {
        Endpoint(host: requested.host, port: server.channel.localAddress?.port ?? requested.port)
    }

    /// Prints the machine-readable line scripts and tests parse (`listening on HOST:PORT`) to standard
    /// output in one write, and logs the same fact.
    static func announce(_ endpoint: Endpoint, role: String, logger: Logger) {
        logger.info("listening", metadata: ["listen": "\(endpoint)", "role": "\(role)"])
        StandardOutput.writeLine("listening on \(endpoint)")
    }

    /// The name of the remote end for logs.
    static func peerDescription(_ connection: WireConnection) -> String {
        connection.channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown"
    }
}

/// Unbuffered writes to standard output (one `write(2)` per line), so scripts see lines at once.
public enum StandardOutput {
    public static func writeLine(_ text: String) {
        let bytes = Array((text + "\n").utf8)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(1, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }
}
