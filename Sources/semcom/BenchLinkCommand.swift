import ArgumentParser
import Daemons
import Foundation
import Imaging
import Link
import Logging
import Scenes
import SemanticWire
import ServiceLifecycle
import SidePort
import TransportSecurity

/// `semcom bench-link`: bytes per frame against PNG and JPEG, the relay's channel throughput, and the
/// throughput of a whole loopback link (sender → relay → receiver, in one process) for analog and
/// digital frames. Prints markdown rows for BENCHMARKS.md.
struct BenchLinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-link", abstract: "Measure frame sizes and link throughput on loopback (markdown).")

    @Option(help: "Image size HxW.") var size = ImageSize(height: 64, width: 128)
    @Option(help: "Scenes to send.") var count: Int = 32
    @Option(help: "Relay PSNR in dB (analog) / Es/N0 (digital).") var snr: Double = 10
    @Flag(help: "Also run each link with mutual TLS on both hops, alternating with plain TCP (3 runs each, medians).")
    var tls = false
    @Flag(help: "Run the links as daemons with --http do: events published, metrics counted, side ports serving.")
    var sidePorts = false

    func run() async throws {
        // As daemons at their default level (info) whose standard error goes to a file: every event is
        // built and written (to /dev/null here); with side ports it is also published (metrics, /events).
        let devNull = open("/dev/null", O_WRONLY)
        LiveLogHandler.bootstrap(
            format: .text, level: .info, events: sidePorts ? .shared : nil, fileDescriptor: devNull)
        if sidePorts { _ = SidePortMetrics.registry }
        let logger = Logger(label: "bench")
        let root = NSTemporaryDirectory() + "semcom-bench-link-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        let scenes = root + "/scenes"
        let generator = StreetSceneGenerator(width: size.width, height: size.height)
        let names = try SceneSet.write(count: count, seed: 1, generator: generator, to: scenes).names

        // Bytes per frame, averaged over the scenes.
        var png = 0, jpeg = 0, digital = 0, analog = 0, analogNoisy = 0, symbols = 0
        var relayAnalogSeconds = 0.0, relayDigitalSeconds = 0.0
        let analogChannel = try RelayChannel(setting: .psnr(dB: snr), seed: 1)
        let digitalChannel = try RelayChannel(setting: .esN0(dB: snr), seed: 1, radio: RelayRadio())
        for (index, name) in names.enumerated() {
            let imagePath = SceneFolder.path(scenes, SceneFolder.images, name)
            png += try readFile(imagePath).count
            jpeg += try JPEG.encode(try PNG.readRGB(path: imagePath), quality: 75).count
            let map = try PNG.readLabels(path: SceneFolder.path(scenes, SceneFolder.labels, name))
            let classes = UInt8(Cityscapes.classCount)
            let d = try MapFrame.digital(frameID: UInt64(index), name: name, map: map, classCount: classes)
            let a = try MapFrame.analog(frameID: UInt64(index), name: name, map: map, classCount: classes)
            digital += try WireMessage.mapFrame(d).encodedBytes().count
            analog += try WireMessage.mapFrame(a).encodedBytes().count
            var start = Date()
            let noisy = try analogChannel.apply(to: a)
            relayAnalogSeconds += Date().timeIntervalSince(start)
            analogNoisy += try WireMessage.mapFrame(noisy.frame).encodedBytes().count
            symbols += noisy.symbols
            start = Date()
            _ = try digitalChannel.apply(to: d)
            relayDigitalSeconds += Date().timeIntervalSince(start)
        }
        let n = Double(count)
        func mean(_ total: Int) -> String { String(format: "%.0f", Double(total) / n) }
        print("| \(size) | \(mean(png)) | \(mean(jpeg)) | \(mean(digital)) | \(mean(analog)) | \(mean(analogNoisy)) |")
        print(
            String(
                format: "| relay channel only | %@ | analog: %.1f frames/s, %.2f M symbols/s; digital: %.0f frames/s |",
                size.description, n / relayAnalogSeconds, Double(symbols) / relayAnalogSeconds / 1e6,
                n / relayDigitalSeconds))

        let certificates = root + "/certs"
        if tls { try makeCertificates(in: certificates) }
        for encoding in [PayloadEncoding.analog, .digital] {
            if tls {
                var plain: [Double] = [], secured: [Double] = []
                for run in 0..<3 {
                    plain.append(
                        try await link(scenes: scenes, encoding: encoding, root: root + "/p\(run)", logger: logger))
                    secured.append(
                        try await link(
                            scenes: scenes, encoding: encoding, root: root + "/t\(run)", logger: logger,
                            certificates: certificates))
                }
                let p = plain.sorted()[1], t = secured.sorted()[1]
                print(
                    String(
                        format:
                            "| loopback link, %@, plain TCP vs mutual TLS on both hops (median of 3, alternating) | %@ | "
                            + "%.1f vs %.1f frames/s: TLS costs %.1f %% |", "\(encoding)", size.description, n / p,
                        n / t,
                        (1 - p / t) * 100))
                continue
            }
            let seconds = try await link(scenes: scenes, encoding: encoding, root: root, logger: logger)
            let perSecond = n / seconds
            let extra =
                encoding == .analog
                ? String(format: ", %.2f M symbols/s", Double(symbols) / seconds / 1e6) : ""
            print(
                String(
                    format: "| loopback link, %@%@ | %@ | %.2f s for %d frames: %.1f frames/s%@ |", "\(encoding)",
                    sidePorts ? ", with HTTP side ports (events + metrics)" : "", size.description, seconds, count,
                    perSecond, extra))
        }
    }

    /// With `--side-ports`, an HTTP side port on 127.0.0.1:0 for `daemon`.
    private func sidePort(_ daemon: String) -> [any Service] {
        guard sidePorts else { return [] }
        return [
            SidePort(
                configuration: .init(listen: Endpoint(host: "127.0.0.1", port: 0), daemon: daemon, token: nil),
                readiness: Readiness(checks: ["listening"]), logger: Logger(label: daemon))
        ]
    }

    /// A CA and certificates for sender, relay and receiver (as `semcom certs` writes them).
    private func makeCertificates(in folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let authority = try CertificateAuthority(days: 1)
        try authority.write(to: folder)
        for name in ["sender", "relay", "receiver"] {
            try CertificateAuthority.write(authority.issue(name: name, days: 1), name: name, to: folder)
        }
    }

    /// Runs receiver and relay in this process, sends every scene, returns the sender's wall time; with
    /// `certificates`, every hop is mutual TLS.
    private func link(
        scenes: String, encoding: PayloadEncoding, root: String, logger: Logger, certificates: String? = nil
    ) async throws -> Double {
        func settings(_ name: String, peer: String? = nil) -> TLSSettings {
            guard let certificates else { return TLSSettings() }
            return TLSSettings(
                certificatePath: "\(certificates)/\(name).crt", keyPath: "\(certificates)/\(name).key",
                trustRootsPath: "\(certificates)/ca.crt", serverName: peer)
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Endpoint.self)
        var portIterator = ports.makeAsyncIterator()
        var receiverConfiguration = ReceiverService.Configuration(
            listen: Endpoint(host: "127.0.0.1", port: 0), outputDirectory: root + "/out-\(encoding)")
        receiverConfiguration.security = try HopSecurity.listener(settings("receiver"))
        let receiver = ReceiverService(
            configuration: receiverConfiguration, logger: logger, onListening: { portContinuation.yield($0) })
        let receiverGroup = ServiceGroup(services: [receiver] + sidePort("receiver"), logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await receiverGroup.run() }
            guard let receiverEndpoint = await portIterator.next() else { throw ExitCode.failure }
            let setting: RelayChannel.Setting = encoding == .analog ? .psnr(dB: snr) : .esN0(dB: snr)
            var relayConfiguration = RelayService.Configuration(
                listen: Endpoint(host: "127.0.0.1", port: 0), forward: receiverEndpoint,
                channel: try RelayChannel(setting: setting, seed: 1, radio: RelayRadio()))
            relayConfiguration.security = try HopSecurity.listener(settings("relay"))
            relayConfiguration.forwardSecurity = try HopSecurity.connection(
                settings("relay", peer: "receiver"), to: receiverEndpoint)
            let relay = RelayService(
                configuration: relayConfiguration, logger: logger, onListening: { portContinuation.yield($0) })
            let relayGroup = ServiceGroup(services: [relay] + sidePort("relay"), logger: logger)
            group.addTask { try await relayGroup.run() }
            guard let relayEndpoint = await portIterator.next() else { throw ExitCode.failure }
            var configuration = SenderService.Configuration(
                target: relayEndpoint, inputDirectory: scenes, origin: "bench-\(encoding)")
            configuration.encoding = encoding
            configuration.maxRetries = 1000  // throughput, not loss: digital frames retry until they pass
            configuration.security = try HopSecurity.connection(settings("sender", peer: "relay"), to: relayEndpoint)
            let start = Date()
            try await SenderService(configuration: configuration, logger: logger).run()
            let seconds = Date().timeIntervalSince(start)
            await relayGroup.triggerGracefulShutdown()
            await receiverGroup.triggerGracefulShutdown()
            try await group.waitForAll()
            return seconds
        }
    }
}
