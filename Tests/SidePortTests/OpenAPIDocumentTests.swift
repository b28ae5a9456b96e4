import Daemons
import Foundation
import Testing
import Yams

@testable import SidePort

/// protocol/relay-control.openapi.yaml against the Codable types the side port encodes and decodes: every
/// schema's properties are exactly the type's JSON keys, so the document cannot drift from the code.
@Suite("The OpenAPI document matches the API types")
struct OpenAPIDocumentTests {
    static var document: [String: Any] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../protocol/relay-control.openapi.yaml").standardized.path
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return ((try? Yams.load(yaml: text)) as? [String: Any]) ?? [:]
    }

    static func schema(_ name: String) -> [String: Any] {
        let components = document["components"] as? [String: Any]
        return (components?["schemas"] as? [String: Any])?[name] as? [String: Any] ?? [:]
    }

    static func properties(_ schema: [String: Any]) -> Set<String> {
        Set((schema["properties"] as? [String: Any])?.keys ?? [:].keys)
    }

    /// The keys `value` encodes to (every optional set in the samples below).
    static func keys(of value: some Encodable) throws -> Set<String> {
        let data = try JSONEncoder().encode(value)
        let object = try JSONDecoder().decode([String: JSONValue].self, from: data)
        return Set(object.keys)
    }

    static let point = SidePortAPI.SchedulePoint(seconds: 1, snrDB: 2)

    @Test(
        "each schema has the type's fields",
        arguments: [
            "ChannelSettings", "Channel", "Schedule", "SchedulePoint", "ScheduleState", "SchedulePoints", "Problem",
            "Readiness",
            "Connection",
        ])
    func schemaMatchesType(name: String) throws {
        let schema = Self.schema(name)
        #expect(!schema.isEmpty, "no schema \(name)")
        let expected: Set<String>
        switch name {
        case "ChannelSettings": expected = Set(ChannelSettings.Document.keys)
        case "Channel": expected = Set(SidePortAPI.Channel.CodingKeys.allCases.map(\.rawValue))
        case "Schedule":
            expected = try Self.keys(of: SidePortAPI.Schedule(points: [Self.point], interpolation: "step", loop: true))
        case "SchedulePoint": expected = try Self.keys(of: Self.point)
        case "ScheduleState":
            expected = try Self.keys(
                of: SidePortAPI.ScheduleState(
                    points: 1, interpolation: "step", loop: false, elapsedS: 0, segment: 0, digest: "d"))
        case "SchedulePoints":
            expected = try Self.keys(
                of: SidePortAPI.SchedulePoints(points: [Self.point], interpolation: "step", loop: false, digest: "d"))
        case "Problem": expected = try Self.keys(of: SidePortAPI.Problem(error: "e", field: "f"))
        case "Readiness":
            expected = try Self.keys(of: SidePortAPI.ReadinessReport(ready: true, daemon: "relay", checks: [:]))
        case "Connection":
            var connection = UpstreamStatistics.Connection(peer: "p", origin: "o", tlsPeer: "t")
            connection.measuredSNRDB = 1
            expected = try Self.keys(of: connection)
        default: expected = []
        }
        #expect(Self.properties(schema) == expected, "\(name)")
    }

    @Test("PUT /channel accepts the settings or GET's whole body; If-Match and 412 are documented")
    func putChannel() throws {
        let paths = try #require(Self.document["paths"] as? [String: Any])
        let put = try #require((paths["/channel"] as? [String: Any])?["put"] as? [String: Any])
        let text = String(describing: put)
        #expect(
            text.contains("#/components/schemas/ChannelSettings") && text.contains("#/components/schemas/ChannelUpdate")
        )
        let responses = try #require(put["responses"] as? [String: Any])
        #expect(responses["412"] != nil)
        let parameters = try #require(put["parameters"] as? [[String: Any]])
        #expect(parameters.contains { $0["name"] as? String == "If-Match" })
        let update = Self.schema("ChannelUpdate")
        #expect(Self.properties(update) == Set(SidePortAPI.Channel.CodingKeys.allCases.map(\.rawValue)))
    }

    @Test("/healthz documents the health body")
    func health() throws {
        let paths = try #require(Self.document["paths"] as? [String: Any])
        let text = String(describing: paths["/healthz"] ?? "")
        for key in try Self.keys(of: SidePortAPI.Health(daemon: "relay", pid: 1, uptimeS: 1)) {
            #expect(text.contains(key), "\(key)")
        }
    }
}
