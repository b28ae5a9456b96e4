import Daemons
import Foundation
import Hummingbird

/// The JSON bodies of the side port, as Codable types: protocol/relay-control.openapi.yaml describes exactly
/// these (a test checks every schema's fields against them).
public enum SidePortAPI {
    /// An error: what was wrong, and the JSON field at fault when one is.
    public struct Problem: Codable, Sendable, Equatable {
        public var error: String
        public var field: String?
    }

    /// `GET /healthz`.
    public struct Health: Codable, Sendable {
        public var status = "ok"
        public var daemon: String
        public var pid: Int
        public var uptimeS: Double

        enum CodingKeys: String, CodingKey { case status, daemon, pid, uptimeS = "uptime_s" }
    }

    /// `GET /readyz`.
    public struct ReadinessReport: Codable, Sendable {
        public struct Check: Codable, Sendable {
            public var state: String
            public var detail: String?
        }

        public var ready: Bool
        public var daemon: String
        public var checks: [String: Check]
    }

    /// One point of an SNR schedule.
    public struct SchedulePoint: Codable, Sendable, Equatable {
        public var seconds: Double
        public var snrDB: Double

        enum CodingKeys: String, CodingKey, CaseIterable { case seconds, snrDB = "snr_db" }
    }

    /// `POST /channel/schedule`'s JSON body.
    public struct Schedule: Codable, Sendable {
        public var points: [SchedulePoint]
        public var interpolation: String?
        public var loop: Bool?

        enum CodingKeys: String, CodingKey, CaseIterable { case points, interpolation, loop }
    }

    /// The schedule running on a relay (in `Channel`).
    public struct ScheduleState: Codable, Sendable, Equatable {
        public var points: [SchedulePoint]
        public var interpolation: String
        public var loop: Bool
        /// Seconds since the schedule started.
        public var elapsedS: Double

        enum CodingKeys: String, CodingKey { case points, interpolation, loop, elapsedS = "elapsed_s" }
    }

    /// `GET /channel` (and the answer of every change). Its ETag is `"VERSION"`.
    public struct Channel: Codable, Sendable {
        /// Nil for a fixed channel.
        public var settings: ChannelSettings.Document?
        public var schedule: ScheduleState?
        /// The SNR a frame relayed now meets, dB.
        public var effectiveSNRDB: Double
        /// Incremented by every change.
        public var version: Int

        enum CodingKeys: String, CodingKey, CaseIterable {
            case settings, schedule, effectiveSNRDB = "effective_snr_db", version
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(settings, forKey: .settings)  // null, not absent
            try container.encode(schedule, forKey: .schedule)
            try container.encode(effectiveSNRDB, forKey: .effectiveSNRDB)
            try container.encode(version, forKey: .version)
        }

        public init(_ snapshot: RelayChannelControl.Snapshot) {
            settings = snapshot.settings?.document
            schedule = snapshot.schedule.map { schedule in
                ScheduleState(
                    points: schedule.points.map { SchedulePoint(seconds: $0.seconds, snrDB: $0.dB) },
                    interpolation: schedule.interpolation.rawValue, loop: schedule.loops,
                    elapsedS: snapshot.scheduleElapsed ?? 0)
            }
            effectiveSNRDB = snapshot.effectiveSNRDB
            version = snapshot.version
        }
    }

    /// `GET /stats`.
    public struct Stats: Codable, Sendable {
        public var connections: [UpstreamStatistics.Connection]
    }

    /// `body` as a JSON response (keys sorted, so that answers are stable).
    public static func response(_ status: HTTPResponse.Status, _ body: some Encodable, headers: HTTPFields = [:])
        -> Response
    {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(body)) ?? Data("{}".utf8)
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A `Problem` response.
    public static func problem(_ status: HTTPResponse.Status, _ error: String, field: String? = nil) -> Response {
        response(status, Problem(error: error, field: field))
    }
}
