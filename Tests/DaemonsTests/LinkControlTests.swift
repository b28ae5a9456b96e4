import ChannelModels
import Foundation
import Link
import Logging
import SemanticWire
import Synchronization
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
        let schedule = try SNRSchedule(
            csv: "seconds,snr_db\n# a drive test\n5, 3\n0,12\n\n5,4  # kept: the last at 5 s\n")
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
        #expect(
            channel.setting == .psnr(dB: 3) && channel.radio?.modulation == .qpsk && channel.expectedMode == .digital)
        #expect(try next.applying(["mode": nil]).mode == nil)
    }

    @Test(
        "each bad field is named",
        arguments: [
            (#"{"snr_db": "loud"}"#, "snr_db"), (#"{"snr_db": 1e300}"#, "snr_db"),
            (#"{"modulation": "8psk"}"#, "modulation"),
            (#"{"code": "turbo"}"#, "code"), (#"{"coherence": 0}"#, "coherence"), (#"{"seed": -1}"#, "seed"),
            (#"{"seed": 1.5}"#, "seed"), (#"{"pilots": true}"#, "pilots"), (#"{"colour": "red"}"#, "colour"),
            (#"{"mcs": "maybe"}"#, "mcs"),
            (#"{"csi": "pilots", "fading": "rayleigh", "pilots": 200, "coherence": 100}"#, "pilots"),
        ])
    func refused(json: String, field: String) throws {
        let object = try JSONDecoder().decode([String: JSONValue].self, from: Data(json.utf8))
        #expect { try ChannelSettings().applying(object) } throws: { ($0 as? ChannelSettingsError)?.field == field }
    }

    @Test func jsonRoundTrip() throws {
        var settings = ChannelSettings()
        settings.convention = .esn0
        settings.snrDB = -4.5
        settings.rayleigh = true
        settings.pilotCSI = true
        settings.seed = 9_007_199_254_740_991
        let document = try JSONEncoder().encode(settings.document)
        #expect(
            try ChannelSettings().applying(JSONDecoder().decode([String: JSONValue].self, from: document)) == settings)
        #expect(String(decoding: document, as: UTF8.self).contains("\"mode\":null"))
    }

    @Test("JSON values keep true apart from 1 and integers exact")
    func jsonValues() throws {
        let values = try JSONDecoder().decode(
            [JSONValue].self, from: Data("[true, 1, 1.5, 9007199254740993, null, \"x\"]".utf8))
        #expect(
            values == [.bool(true), .integer(1), .number(1.5), .integer(9_007_199_254_740_993), .null, .string("x")])
        #expect(
            JSONValue.bool(true).integer == nil && JSONValue.number(2).integer == 2
                && JSONValue.number(2.5).integer == nil)
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
        try control.setSchedule(try SNRSchedule(points: [(0, -3)]))
        #expect(control.channel.setting == .psnr(dB: -3) && control.snapshot.effectiveSNRDB == -3)
        try control.setSchedule(nil)
        #expect(control.channel.setting == .psnr(dB: 25))
    }

    @Test("a stale expected version changes nothing; concurrent partial changes all apply")
    func optimisticConcurrency() async throws {
        let control = try RelayChannelControl(settings: ChannelSettings())
        let read = control.snapshot.version
        try control.change(expectedVersion: read) { current throws(ChannelSettingsError) in
            try current.applying(["snr_db": 3])
        }
        #expect(throws: RelayChannelControl.ChangeError.stale(current: read + 1)) {
            try control.change(expectedVersion: read) { current throws(ChannelSettingsError) in
                try current.applying(["snr_db": 30])
            }
        }
        #expect(control.snapshot.settings?.snrDB == 3 && control.snapshot.version == read + 1)
        // 64 writers, each changing its own field value: no change is lost (the seed counts them).
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    _ = try? control.change { current throws(ChannelSettingsError) in
                        var next = current
                        next.seed += 1
                        return next
                    }
                }
            }
        }
        #expect(control.snapshot.settings?.seed == 1 + 64 && control.snapshot.version == read + 65)
    }

    @Test func aFixedChannelRefusesChanges() throws {
        let control = RelayChannelControl(fixed: try RelayChannel(setting: .esN0(dB: 5), seed: 1))
        #expect(throws: ChannelSettingsError.self) { try control.update(ChannelSettings()) }
        #expect(control.snapshot.settings == nil)
    }
}

@Suite("Events, metrics names, statistics, readiness")
struct EventTests {
    /// A line as the log handler hands it to the hub.
    func event(_ metadata: Logger.Metadata = [:], message: String = "m", label: String = "relay") -> DaemonEvent {
        DaemonEvent(level: .info, label: label, message: message, metadata: metadata)
    }

    func event(_ frame: FrameEvent, _ extra: Logger.Metadata = [:]) -> DaemonEvent {
        event(frame.metadata.merging(extra) { $1 }, message: frame.kind.message)
    }

    func event(_ connection: ConnectionEvent, _ extra: Logger.Metadata = [:]) -> DaemonEvent {
        event(connection.metadata.merging(extra) { $1 }, message: connection.kind.message)
    }

    @Test func subscribersGetTheRecentEventsThenLiveOnes() async throws {
        let events = DaemonEvents()
        events.activate()
        events.publish(event(["frame.name": "a"]))
        let subscription = try #require(events.subscribe())
        events.publish(event(["frame.name": "b"]))
        events.finishSubscribers()
        var names = subscription.replay.map { $0["frame.name"] ?? "?" }
        for await item in subscription.live {
            if case .event(let e) = item { names.append(e["frame.name"] ?? "?") }
        }
        #expect(names == ["a", "b"])
    }

    @Test func inactiveHubKeepsNothing() async throws {
        let events = DaemonEvents()
        events.publish(event())
        let subscription = try #require(events.subscribe())
        events.finishSubscribers()
        var count = subscription.replay.count
        for await _ in subscription.live { count += 1 }
        #expect(count == 0)
    }

    @Test("every frame event a service emits reaches the hub typed, and its line carries event=frame.KIND")
    func emittedEventsArriveTyped() throws {
        let events = DaemonEvents()
        let received = Mutex<[DaemonEvent]>([])
        events.observe { event in received.withLock { $0.append(event) } }
        let sink = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/null"))
        let logger = Logger(label: "relay") { label in
            LiveLogHandler(
                label: label, format: .json, level: .warning, fileDescriptor: sink.fileDescriptor, events: events)
        }
        for kind in FrameEvent.Kind.allCases {
            var frame = FrameEvent(kind, frameID: 7, name: "n")
            frame.reason = "corrupt"
            logger.emit(frame)
        }
        logger.emit(ConnectionEvent(.opened))
        logger.info("something else")
        let got = received.withLock { $0 }
        #expect(got.count == FrameEvent.Kind.allCases.count + 2)
        #expect(got.compactMap(\.frame?.kind) == FrameEvent.Kind.allCases)
        for e in got.prefix(FrameEvent.Kind.allCases.count) {
            #expect(e.json.contains("\"event\":\"frame.\(e.frame!.kind.rawValue)\""))
            #expect(e["frame.id"] == "7")
        }
        #expect(got.last?.link == nil)
        if case .connection(let connection)? = got[got.count - 2].link {
            #expect(connection.kind == .opened)
        } else {
            Issue.record("no connection event")
        }
    }

    @Test func upstreamStatisticsFollowAConnection() {
        let statistics = UpstreamStatistics()
        let peer: Logger.Metadata = ["peer": "127.0.0.1:5000"]
        func relayed(_ snr: Float, errors: UInt64) -> FrameEvent {
            var frame = FrameEvent(.relayed, frameID: 1)
            frame.hops = [
                HopAnnotation(channelModel: .awgnPSNR, mode: .analog, snrDB: 10, measuredSNRDB: snr, bitErrors: errors)
            ]
            return frame
        }
        var hello = ConnectionEvent(.hello)
        hello.origin = "camera-1"
        var forwarded = FrameEvent(.nacked, frameID: 1).refused(.payloadCRCMismatch, "bad")
        forwarded.forwarded = true
        statistics.record(event(ConnectionEvent(.opened), peer))
        statistics.record(event(hello, peer))
        statistics.record(event(relayed(9.5, errors: 3), peer))
        statistics.record(event(relayed(10.5, errors: 2), peer))
        statistics.record(event(forwarded, peer))
        statistics.record(event(relayed(1, errors: 9), ["peer": "elsewhere"]))
        statistics.record(event(ConnectionEvent(.closed), peer))
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
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
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
    @Test(arguments: [
        ("127.0.0.1", true), ("127.1.2.3", true), ("::1", true), ("localhost", true),
        ("0.0.0.0", false), ("10.0.0.5", false), ("::", false), ("relay.example.net", false),
    ])
    func loopback(host: String, expected: Bool) {
        #expect(Endpoint(host: host, port: 7201).isLoopback == expected)
    }
}
