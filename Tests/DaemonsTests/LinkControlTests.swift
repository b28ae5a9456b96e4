import ChannelModels
import Foundation
import Link
import Logging
import SemanticWire
import Testing

@testable import Daemons

@Suite("SNR schedules: step, linear, looping, CSV")
struct SNRScheduleTests {
    @Test func stepHoldsAndLinearInterpolates() throws {
        let points: [(seconds: Double, dB: Double)] = [(0, 10), (10, 0), (20, 20)]
        let step = try SNRSchedule(points: points)
        #expect(step.snr(at: -1) == 10 && step.snr(at: 0) == 10 && step.snr(at: 9.99) == 10)
        #expect(step.snr(at: 10) == 0 && step.snr(at: 25) == 20)
        let linear = try SNRSchedule(points: points, interpolation: .linear)
        #expect(linear.snr(at: 5) == 5 && linear.snr(at: 15) == 10 && linear.snr(at: 99) == 20)
        let loop = try SNRSchedule(points: points, interpolation: .linear, loops: true)
        #expect(loop.snr(at: 25) == linear.snr(at: 5))
    }

    @Test func csvWithHeaderCommentsAnyOrderAndRepeats() throws {
        let schedule = try SNRSchedule(csv: "seconds,snr_db\n# a drive test\n5, 3\n0,12\n\n5,4  # kept: the last at 5 s\n")
        #expect(schedule.points.map(\.seconds) == [0, 5])
        #expect(schedule.points.map(\.dB) == [12, 4])
    }

    @Test("bad schedules name what is wrong", arguments: ["", "0,abc", "1;2", "-1,5", "0,500", "0,5\nx"])
    func refused(csv: String) {
        #expect(throws: ChannelSettingsError.self) { try SNRSchedule(csv: csv) }
    }
}

@Suite("Channel settings: one validation for flags and the control API")
struct ChannelSettingsTests {
    @Test func partialChangesKeepTheRest() throws {
        let start = ChannelSettings()
        let next = try start.applying(["snr_db": 3, "modulation": "qpsk", "code": "ldpc:1944:1/2", "mode": "digital"])
        #expect(next.snrDB == 3 && next.modulation == .qpsk && next.mode == .digital && next.convention == .psnr)
        #expect(next.code.description == "ldpc:1944:1/2")
        let channel = try next.makeChannel()
        #expect(channel.setting == .psnr(dB: 3) && channel.radio?.modulation == .qpsk && channel.expectedMode == .digital)
        #expect(try next.applying(["mode": NSNull()]).mode == nil)
    }

    @Test("each bad field is named", arguments: [
        (#"{"snr_db": "loud"}"#, "snr_db"), (#"{"snr_db": 1e300}"#, "snr_db"), (#"{"modulation": "8psk"}"#, "modulation"),
        (#"{"code": "turbo"}"#, "code"), (#"{"coherence": 0}"#, "coherence"), (#"{"seed": -1}"#, "seed"),
        (#"{"seed": 1.5}"#, "seed"), (#"{"pilots": true}"#, "pilots"), (#"{"colour": "red"}"#, "colour"),
        (#"{"mcs": "maybe"}"#, "mcs"), (#"{"csi": "pilots", "fading": "rayleigh", "pilots": 200, "coherence": 100}"#, "pilots"),
    ])
    func refused(json: String, field: String) throws {
        let object = try #require(try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect { try ChannelSettings().applying(object) } throws: { ($0 as? ChannelSettingsError)?.field == field }
    }

    @Test func jsonRoundTrip() throws {
        var settings = ChannelSettings()
        settings.convention = .esn0
        settings.snrDB = -4.5
        settings.rayleigh = true
        settings.pilotCSI = true
        settings.seed = 9_007_199_254_740_991
        #expect(try ChannelSettings().applying(settings.json) == settings)
    }
}

@Suite("The relay's channel at run time")
struct RelayChannelControlTests {
    @Test func anUpdateAppliesToTheNextChannelAndAScheduleDrivesTheSNR() throws {
        let control = try RelayChannelControl(settings: ChannelSettings())
        #expect(control.channel.setting == .psnr(dB: 10))
        var next = ChannelSettings()
        next.snrDB = 25
        try control.update(next)
        #expect(control.channel.setting == .psnr(dB: 25) && control.snapshot.version == 2)
        control.setSchedule(try SNRSchedule(points: [(0, -3)]))
        #expect(control.channel.setting == .psnr(dB: -3) && control.snapshot.effectiveSNRDB == -3)
        control.setSchedule(nil)
        #expect(control.channel.setting == .psnr(dB: 25))
    }

    @Test func aFixedChannelRefusesChanges() throws {
        let control = RelayChannelControl(fixed: try RelayChannel(setting: .esN0(dB: 5), seed: 1))
        #expect(throws: ChannelSettingsError.self) { try control.update(ChannelSettings()) }
        #expect(control.snapshot.settings == nil)
    }
}

@Suite("Events, metrics names, statistics, readiness")
struct EventTests {
    func event(_ message: String, _ metadata: Logger.Metadata = [:], label: String = "relay") -> DaemonEvent {
        DaemonEvent(level: .info, label: label, message: message, metadata: metadata)
    }

    @Test func subscribersGetTheRecentEventsThenLiveOnes() async {
        let events = DaemonEvents()
        events.activate()
        events.publish(event("frame sent", ["frame.name": "a"]))
        let stream = events.subscribe()
        events.publish(event("frame sent", ["frame.name": "b"]))
        events.finishSubscribers()
        var names: [String] = []
        for await e in stream { names.append(e["frame.name"] ?? "?") }
        #expect(names == ["a", "b"])
    }

    @Test func inactiveHubKeepsNothing() async {
        let events = DaemonEvents()
        events.publish(event("frame sent"))
        let stream = events.subscribe()
        events.finishSubscribers()
        var count = 0
        for await _ in stream { count += 1 }
        #expect(count == 0)
    }

    @Test func everyFrameEventTheDaemonsLogIsCounted() {
        // The messages the daemons log for frames (a renamed log line would silently stop a counter).
        let logged = [
            "frame sent", "frame retransmitted", "frame acknowledged", "frame acked", "frame nacked", "frame lost",
            "frame relayed", "frame received", "frame written", "image generated", "nack forwarded",
        ]
        for message in logged { #expect(TransmissionMetrics.frameEvents[message] != nil, "\(message)") }
        let sources = ["SenderService", "RelayService", "ReceiverService", "DiffusionStage"].map { name in
            (try? String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../Sources/Daemons/\(name).swift").standardized, encoding: .utf8)) ?? ""
        }.joined()
        for message in TransmissionMetrics.frameEvents.keys {
            #expect(sources.contains("\"\(message)\""), "no daemon logs '\(message)' any more")
        }
    }

    @Test func upstreamStatisticsFollowAConnection() {
        let statistics = UpstreamStatistics()
        let peer: Logger.Metadata = ["peer": "127.0.0.1:5000"]
        statistics.record(event("connection opened", peer))
        statistics.record(event("hello", peer.merging(["origin": "camera-1"]) { $1 }))
        statistics.record(event("frame relayed", peer.merging(["channel.measured_snr_db": "9.5", "channel.bit_errors": "3"]) { $1 }))
        statistics.record(event("frame relayed", peer.merging(["channel.measured_snr_db": "10.5", "channel.bit_errors": "2"]) { $1 }))
        statistics.record(event("nack forwarded", peer))
        statistics.record(event("frame relayed", ["peer": "elsewhere"]))
        statistics.record(event("connection closed", peer))
        let c = statistics.snapshot
        #expect(c.count == 1)
        #expect(c[0].origin == "camera-1" && c[0].frames == 2 && c[0].measuredSNRDB == 10.5 && c[0].bitErrors == 5)
        #expect(c[0].nacks == 1 && !c[0].open)
    }

    @Test func readiness() {
        let readiness = Readiness(checks: ["listening", "downstream"])
        #expect(!readiness.isReady)
        readiness.set("listening", true)
        #expect(readiness.isReady)  // downstream still unknown
        readiness.set("downstream", false, detail: "refused")
        #expect(!readiness.isReady && readiness.snapshot["downstream"]?.detail == "refused")
    }

    @Test func systemdNotifyReachesTheSocket() throws {
        let path = NSTemporaryDirectory() + "notify-\(getpid()).sock"
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd); unlink(path) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        #expect(SystemdNotify.send("READY=1", environment: ["NOTIFY_SOCKET": path]))
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        #expect(n > 0 && String(decoding: buffer[0..<max(0, n)], as: UTF8.self) == "READY=1")
        #expect(!SystemdNotify.send("READY=1", environment: [:]))
    }
}

@Suite("Endpoints that need no side-port token")
struct LoopbackTests {
    @Test(arguments: [("127.0.0.1", true), ("127.1.2.3", true), ("::1", true), ("localhost", true),
                      ("0.0.0.0", false), ("10.0.0.5", false), ("::", false), ("relay.example.net", false)])
    func loopback(host: String, expected: Bool) {
        #expect(Endpoint(host: host, port: 7201).isLoopback == expected)
    }
}
