import Foundation
import Logging
import Scenes
import SemanticWire
import Testing

@testable import Daemons

/// The sessions' behaviour in this process (issue 16): reconnection with backoff, duplicates, the HELLO
/// timeout — assertions on summaries and answers, not on log text.
@Suite("Sessions in process", .serialized)
struct SessionTests {
    @Test("a receiver that starts late: the sender backs off, reconnects and delivers every frame")
    func reconnectsWithBackoff() async throws {
        let root = HostileInputTests.temporary("late")
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = try HostileInputTests.scenes(root + "/scenes", count: 3)
        // Learn a free port, then free it again: the sender starts with nobody listening there.
        let probe = try await HostileInputTests.receiver(root + "/probe")
        let port = probe.endpoint.port
        try await probe.stop()
        var configuration = SenderService.Configuration(
            target: Endpoint(host: "127.0.0.1", port: port), inputDirectory: root + "/scenes", origin: "late")
        configuration.encoding = .digital
        async let summary = runSender(configuration)
        try await Task.sleep(for: .milliseconds(700))  // a few refused attempts, backing off
        let receiver = try await RunningService.start { listening in
            ReceiverService(
                configuration: .init(listen: Endpoint(host: "127.0.0.1", port: port), outputDirectory: root + "/out"),
                logger: Logger(label: "test"), onListening: listening)
        }
        let result = try await summary
        try await receiver.stop()
        #expect(result.frames == 3 && result.acknowledged == 3 && result.lost == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/out/late").count == 6)
    }

    @Test("a second run of the same origin: every frame ACKed as a duplicate, nothing stored twice")
    func duplicatesAreAcknowledged() async throws {
        let root = HostileInputTests.temporary("duplicate")
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = try HostileInputTests.scenes(root + "/scenes", count: 2)
        let receiver = try await HostileInputTests.receiver(root + "/out")
        var configuration = SenderService.Configuration(
            target: receiver.endpoint, inputDirectory: root + "/scenes", origin: "same")
        configuration.encoding = .digital
        let first = try await runSender(configuration)
        let labels =
            root + "/out/same/" + (try FileManager.default.contentsOfDirectory(atPath: root + "/out/same").sorted()[0])
        let written = try FileManager.default.attributesOfItem(atPath: labels)[.modificationDate] as? Date
        let second = try await runSender(configuration)
        try await receiver.stop()
        #expect(first.acknowledged == 2 && second.acknowledged == 2 && second.lost == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: labels)[.modificationDate] as? Date == written)
    }

    @Test("no HELLO within the timeout: ERROR timeout and the close")
    func helloTimeout() async throws {
        let out = HostileInputTests.temporary("hello")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let receiver = try await HostileInputTests.receiver(out) { $0.helloTimeout = .milliseconds(500) }
        let start = ContinuousClock.now
        let answers = try await RawClient.exchange([], with: receiver.endpoint)
        let elapsed = ContinuousClock.now - start
        try await receiver.stop()
        guard case .error(let error) = answers.first else { Issue.record("no ERROR: \(answers)"); return }
        #expect(error.code == .timeout && answers.count == 1)
        #expect(elapsed >= .milliseconds(500) && elapsed < .seconds(10))
    }
}
