import Foundation
import Link
import Logging
import Scenes
import SemanticWire
import ServiceLifecycle
import Testing

@testable import Daemons

/// The services in this process (sender, relay, receiver on 127.0.0.1, ports from their "listening"
/// callbacks), asserting on the sender's summary rather than on log text.
@Suite("In-process link", .serialized)
struct ServiceLinkTests {
    @Test(
        "a frame the relay's channel makes too big to forward is NACKed invalid and reported lost, not resent forever")
    func oversizedAfterTheChannelIsLost() async throws {
        let root = NSTemporaryDirectory() + "semcom-services-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = try SceneSet.write(
            count: 1, seed: 1, generator: StreetSceneGenerator(width: 128, height: 64), to: root + "/scenes")
        let logger = Logger(label: "test")
        let (ports, portContinuation) = AsyncStream.makeStream(of: Endpoint.self)
        var portIterator = ports.makeAsyncIterator()
        let receiver = ReceiverService(
            configuration: .init(listen: Endpoint(host: "127.0.0.1", port: 0), outputDirectory: root + "/out"),
            logger: logger, onListening: { portContinuation.yield($0) })
        let receiverGroup = ServiceGroup(services: [receiver], logger: logger)
        let summary = try await withThrowingTaskGroup(of: SenderService.Summary?.self) { group in
            group.addTask {
                try await receiverGroup.run(); return nil
            }
            let receiverEndpoint = try #require(await portIterator.next())
            var relayConfiguration = RelayService.Configuration(
                listen: Endpoint(host: "127.0.0.1", port: 0), forward: receiverEndpoint,
                channel: try RelayChannel(setting: .psnr(dB: 10), seed: 1))
            // The analog frame arrives at ≈ 1.3 KB and leaves the 10 dB channel at ≈ 190 KB.
            relayConfiguration.limits = WireLimits(maxBodyLength: 64 << 10)
            let relay = RelayService(
                configuration: relayConfiguration, logger: logger, onListening: { portContinuation.yield($0) })
            let relayGroup = ServiceGroup(services: [relay], logger: logger)
            group.addTask {
                try await relayGroup.run(); return nil
            }
            let relayEndpoint = try #require(await portIterator.next())
            var configuration = SenderService.Configuration(
                target: relayEndpoint, inputDirectory: root + "/scenes", origin: "t")
            configuration.encoding = .analog
            let (finished, finish) = AsyncStream.makeStream(of: SenderService.Summary.self)
            let sender = SenderService(configuration: configuration, logger: logger, onFinish: { finish.yield($0) })
            // Bounded: before the fix the relay dropped the connection and the sender resent forever (the guard
            // then stops it with retransmissions counted); the suite's other tests may load the task pool.
            let senderGroup = ServiceGroup(
                configuration: .init(
                    services: [.init(service: sender, successTerminationBehavior: .gracefullyShutdownGroup)],
                    logger: logger))
            group.addTask {
                try await Task.sleep(for: .seconds(300))
                await senderGroup.triggerGracefulShutdown()
                return nil
            }
            try await senderGroup.run()
            var iterator = finished.makeAsyncIterator()
            let summary = await iterator.next()
            await relayGroup.triggerGracefulShutdown()
            await receiverGroup.triggerGracefulShutdown()
            group.cancelAll()  // the guard
            while let next = await group.nextResult() {
                if case .failure(let error) = next, !(error is CancellationError) { throw error }
            }
            return summary
        }
        let result = try #require(summary)
        #expect(result.frames == 1 && result.lost == 1 && result.acknowledged == 0 && result.unacknowledged == 0)
        #expect(result.retransmissions == 0, "NACK invalid is final")
    }

    @Test("a receiver clears the temporary files of writes a killed run left, and keeps the rest")
    func staleTemporaryFilesAreRemovedAtStart() async throws {
        let out = NSTemporaryDirectory() + "semcom-stale-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: out) }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for name in [".a.labels.png.1234.semcom-tmp", "a.map.png", ".keep"] {
            FileManager.default.createFile(atPath: out + "/" + name, contents: Data([1]))
        }
        // And in an origin's folder, where a receiver writes its frames.
        try FileManager.default.createDirectory(atPath: out + "/o", withIntermediateDirectories: true)
        for name in [".b.map.png.99.semcom-tmp", "b.map.png"] {
            FileManager.default.createFile(atPath: out + "/o/" + name, contents: Data([1]))
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Endpoint.self)
        let receiver = ReceiverService(
            configuration: .init(listen: Endpoint(host: "127.0.0.1", port: 0), outputDirectory: out),
            logger: Logger(label: "test"), onListening: { continuation.yield($0) })
        let group = ServiceGroup(services: [receiver], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            _ = await iterator.next()
            #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == [".keep", "a.map.png", "o"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: out + "/o") == ["b.map.png"])
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
