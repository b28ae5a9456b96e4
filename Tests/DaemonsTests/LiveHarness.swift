import Foundation
import Logging
import NIOCore
import NIOPosix
import SemanticWire
import ServiceLifecycle

@testable import Daemons

/// A service running in this process until `stop()`, with the endpoint its "listening" callback gave.
final class RunningService: Sendable {
    let endpoint: Endpoint
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(endpoint: Endpoint, group: ServiceGroup, task: Task<Void, any Error>) {
        self.endpoint = endpoint
        self.group = group
        self.task = task
    }

    /// Starts the service `make` builds around its listening callback; returns once it listens.
    static func start(_ make: (@escaping @Sendable (Endpoint) -> Void) -> some Service) async throws -> RunningService {
        let (ports, continuation) = AsyncStream.makeStream(of: Endpoint.self)
        let group = ServiceGroup(services: [make { continuation.yield($0) }], logger: Logger(label: "test"))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let endpoint = await iterator.next() else { throw HarnessError("the service never listened") }
        return RunningService(endpoint: endpoint, group: group, task: task)
    }

    /// SIGTERM's path: graceful shutdown; returns once the service has returned.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a sender to its end (at most `limit`) and returns its summary.
func runSender(_ configuration: SenderService.Configuration, limit: Duration = .seconds(60)) async throws
    -> SenderService.Summary
{
    let (finished, finish) = AsyncStream.makeStream(of: SenderService.Summary.self)
    let sender = SenderService(configuration: configuration, logger: Logger(label: "test")) { finish.yield($0) }
    let group = ServiceGroup(
        configuration: .init(
            services: [.init(service: sender, successTerminationBehavior: .gracefullyShutdownGroup)],
            logger: Logger(label: "test")))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask {
            try await Task.sleep(for: limit)
            await group.triggerGracefulShutdown()
        }
        try await group.run()
        tasks.cancelAll()
    }
    var iterator = finished.makeAsyncIterator()
    guard let summary = await iterator.next() else { throw HarnessError("the sender gave no summary") }
    return summary
}

/// A client that writes raw bytes and reads every message the server answers until it closes.
enum RawClient {
    /// Connects, writes `bytes`, half-closes when `halfClose`, and collects the messages answered until the
    /// server closes (at most `limit`). `whileOpen` runs once the bytes are written (e.g. to time something).
    static func exchange(
        _ bytes: [UInt8], with endpoint: Endpoint, halfClose: Bool = false, limit: Duration = .seconds(120)
    ) async throws -> [WireMessage] {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        return try await withThrowingTaskGroup(of: [WireMessage]?.self) { group in
            group.addTask {
                try await channel.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(bytes: bytes))
                    if halfClose { outbound.finish() }
                    var buffer = ByteBuffer()
                    do {
                        for try await chunk in inbound { buffer.writeImmutableBuffer(chunk) }
                    } catch {}  // a reset after the server's last words
                    var messages: [WireMessage] = []
                    while let message = try WireMessage.decode(from: &buffer) { messages.append(message) }
                    return messages
                }
            }
            group.addTask {
                try await Task.sleep(for: limit)
                channel.channel.close(promise: nil)
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let messages = result { return messages }
            }
            throw HarnessError("no answer")
        }
    }

    /// A client HELLO as bytes.
    static func hello(origin: String = "raw") throws -> [UInt8] {
        try WireMessage.hello(.offer(role: .sender, peerName: "raw", origin: origin)).encodedBytes()
    }
}
