import Daemons
import Foundation
import Hummingbird
import HummingbirdTesting
import Link
import Logging
import Prometheus
import Testing

@testable import SidePort

/// The side port's routes in process (Hummingbird's test framework, no socket): tokens, the channel's
/// GET → PUT round trip, If-Match, and the Prometheus exposition. The live daemons' side ports are tested
/// end to end in EndToEndTests.
@Suite("Side port routes, in process")
struct ControlRouterTests {
    static let token = "secret-token"

    /// A relay's side port over `control`, with a token.
    static func application(
        control: RelayChannelControl, token: String? = token, limits: SidePortLimits = SidePortLimits()
    ) -> some ApplicationProtocol {
        let sidePort = SidePort(
            configuration: .init(
                listen: Endpoint(host: "127.0.0.1", port: 0), daemon: "relay", token: token, limits: limits),
            readiness: Readiness(checks: ["listening"]), events: DaemonEvents(),
            registry: PrometheusCollectorRegistry(),
            logger: Logger(label: "test"),
            routes: { router in
                RelayControlRoutes.add(
                    to: router, control: control, statistics: UpstreamStatistics(), logger: Logger(label: "test"))
            })
        return Application(router: HeadAsGetRouter(sidePort.makeRouter()))
    }

    static func authorized(_ extra: HTTPFields = [:]) -> HTTPFields {
        var fields = extra
        fields[.authorization] = "Bearer \(token)"
        fields[.contentType] = "application/json"
        return fields
    }

    static func channel(_ response: TestResponse) throws -> SidePortAPI.Channel {
        try JSONDecoder().decode(SidePortAPI.Channel.self, from: Data(response.body.readableBytesView))
    }

    @Test("changes need the token; reads do not")
    func tokens() async throws {
        let control = try RelayChannelControl(settings: ChannelSettings())
        try await Self.application(control: control).test(.router) { client in
            try await client.execute(uri: "/channel", method: .get) { #expect($0.status == .ok) }
            let body = ByteBuffer(string: #"{"snr_db": 3}"#)
            try await client.execute(uri: "/channel", method: .put, body: body) { response in
                #expect(response.status == .unauthorized && response.headers[.wwwAuthenticate] != nil)
            }
            try await client.execute(
                uri: "/channel", method: .put, headers: [.authorization: "Bearer wrong"], body: body
            ) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/channel/schedule", method: .delete) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/channel", method: .put, headers: Self.authorized(), body: body) {
                #expect($0.status == .ok)
            }
        }
        #expect(control.snapshot.settings?.snrDB == 3)
        try await Self.application(control: control, token: nil).test(.router) { client in
            try await client.execute(uri: "/channel/schedule", method: .delete, headers: Self.authorized()) {
                #expect($0.status == .unauthorized)  // no token configured: changes are disabled
            }
        }
    }

    @Test("GET /channel's body PUT back unchanged is accepted and changes no setting")
    func getPutRoundTrip() async throws {
        var start = ChannelSettings()
        start.modulation = .qpsk
        start.mode = nil
        let control = try RelayChannelControl(settings: start)
        try await Self.application(control: control).test(.router) { client in
            let got = try await client.execute(uri: "/channel", method: .get) { $0 }
            let before = try Self.channel(got)
            try await client.execute(uri: "/channel", method: .put, headers: Self.authorized(), body: got.body) {
                response in
                #expect(response.status == .ok)
                let after = try Self.channel(response)
                #expect(after.settings == before.settings && after.version == before.version + 1)
            }
        }
        #expect(control.snapshot.settings == start)
    }

    @Test("If-Match: the current ETag applies, a stale one gets 412 and changes nothing, a malformed one 400")
    func conditionalChange() async throws {
        let control = try RelayChannelControl(settings: ChannelSettings())
        try await Self.application(control: control).test(.router) { client in
            let etag = try await client.execute(uri: "/channel", method: .get) { $0.headers[.eTag] }
            #expect(etag == "\"1\"")
            try await client.execute(
                uri: "/channel", method: .put, headers: Self.authorized([.ifMatch: etag!]),
                body: ByteBuffer(string: #"{"snr_db": 4}"#)
            ) { response in
                #expect(response.status == .ok && response.headers[.eTag] == "\"2\"")
            }
            try await client.execute(
                uri: "/channel", method: .put, headers: Self.authorized([.ifMatch: etag!]),
                body: ByteBuffer(string: #"{"snr_db": 40}"#)
            ) { response in
                #expect(response.status == .preconditionFailed)
                let problem = try JSONDecoder().decode(
                    SidePortAPI.Problem.self, from: Data(response.body.readableBytesView))
                #expect(problem.field == "If-Match")
            }
            try await client.execute(
                uri: "/channel", method: .put, headers: Self.authorized([.ifMatch: "two"]),
                body: ByteBuffer(string: #"{"snr_db": 40}"#)
            ) { #expect($0.status == .badRequest) }
        }
        #expect(control.snapshot.settings?.snrDB == 4 && control.snapshot.version == 2)
    }

    @Test(
        "bad bodies name the field and change nothing",
        arguments: [
            (#"{"snr_db": "loud"}"#, "snr_db"), (#"{"pilots": true}"#, "pilots"), (#"[1]"#, "body"),
            (#"{"settings": 3}"#, "settings"), (#"{"settings": {}, "extra": 1}"#, "extra"),
            (#"{"settings": {"colour": "red"}}"#, "colour"),
        ])
    func badBodies(body: String, field: String) async throws {
        let control = try RelayChannelControl(settings: ChannelSettings())
        try await Self.application(control: control).test(.router) { client in
            try await client.execute(
                uri: "/channel", method: .put, headers: Self.authorized(), body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status == .badRequest)
                let problem = try JSONDecoder().decode(
                    SidePortAPI.Problem.self, from: Data(response.body.readableBytesView))
                #expect(problem.field == field)
            }
        }
        #expect(control.snapshot.version == 1)
    }

    @Test("a schedule posted as JSON runs and shows in GET /channel; DELETE ends it")
    func schedule() async throws {
        let control = try RelayChannelControl(settings: ChannelSettings())
        try await Self.application(control: control).test(.router) { client in
            let body = ByteBuffer(string: #"{"points": [{"seconds": 0, "snr_db": -2}], "loop": false}"#)
            try await client.execute(uri: "/channel/schedule", method: .post, headers: Self.authorized(), body: body) {
                response in
                #expect(response.status == .ok)
                let state = try Self.channel(response)
                #expect(state.schedule?.points == 1 && state.schedule?.segment == 0)
                #expect(state.effectiveSNRDB == -2)
            }
            try await client.execute(
                uri: "/channel/schedule", method: .post, headers: Self.authorized(),
                body: ByteBuffer(string: #"{"points": [], "loop": 1}"#)
            ) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/channel/schedule", method: .delete, headers: Self.authorized()) {
                response in
                let state = try Self.channel(response)
                #expect(state.schedule == nil)
            }
        }
    }
}

@Suite("Prometheus exposition")
struct ExpositionTests {
    @Test("every family the daemons emit gets # HELP and # TYPE")
    func helpAndType() throws {
        let registry = PrometheusCollectorRegistry()
        let factory = DescribedMetricsFactory(registry: registry)
        _ = factory.makeCounter(label: TransmissionMetrics.framesTotal.name, dimensions: [("daemon", "relay")])
        _ = factory.makeMeter(label: TransmissionMetrics.connectionsOpen.name, dimensions: [("daemon", "relay")])
        _ = factory.makeRecorder(label: TransmissionMetrics.generationSeconds.name, dimensions: [], aggregate: true)
        _ = factory.makeRecorder(label: TransmissionMetrics.measuredSNR.name, dimensions: [], aggregate: false)
        let text = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        for family in [
            TransmissionMetrics.framesTotal, TransmissionMetrics.connectionsOpen, TransmissionMetrics.generationSeconds,
            TransmissionMetrics.measuredSNR,
        ] {
            #expect(text.contains("# HELP \(family.name) "), "\(family.name)")
            #expect(text.contains("# TYPE \(family.name) \(family.kind.rawValue)"), "\(family.name)")
        }
        #expect(Set(TransmissionMetrics.families.map(\.name)).count == TransmissionMetrics.families.count)
    }
}
