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

        public init(seconds: Double, snrDB: Double) {
            self.seconds = seconds
            self.snrDB = snrDB
        }

        public init(from decoder: any Decoder) throws {
            try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
            let container = try decoder.container(keyedBy: CodingKeys.self)
            seconds = try container.decode(Double.self, forKey: .seconds)
            snrDB = try container.decode(Double.self, forKey: .snrDB)
        }
    }

    /// `POST /channel/schedule`'s JSON body. Decoding refuses unknown fields and anything but finite
    /// numbers, naming the field.
    public struct Schedule: Codable, Sendable {
        public var points: [SchedulePoint]
        public var interpolation: String?
        public var loop: Bool?

        enum CodingKeys: String, CodingKey, CaseIterable { case points, interpolation, loop }

        public init(points: [SchedulePoint], interpolation: String? = nil, loop: Bool? = nil) {
            self.points = points
            self.interpolation = interpolation
            self.loop = loop
        }

        public init(from decoder: any Decoder) throws {
            try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
            let container = try decoder.container(keyedBy: CodingKeys.self)
            points = try container.decode([SchedulePoint].self, forKey: .points)
            interpolation = try container.decodeIfPresent(String.self, forKey: .interpolation)
            loop = try container.decodeIfPresent(Bool.self, forKey: .loop)
        }
    }

    /// Refuses an object with a field outside `allowed`.
    enum StrictKeys {
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        static func check(_ decoder: any Decoder, allowed: [String]) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for key in container.allKeys where !allowed.contains(key.stringValue) {
                throw ChannelSettingsError(field: key.stringValue, message: "unknown field")
            }
        }
    }

    /// The schedule running on a relay, summarised (in `Channel`): a few hundred bytes whatever its size.
    /// Its points are `GET /channel/schedule`.
    public struct ScheduleState: Codable, Sendable, Equatable {
        /// How many points.
        public var points: Int
        public var interpolation: String
        public var loop: Bool
        /// Seconds since the schedule started.
        public var elapsedS: Double
        /// The index of the point in force now.
        public var segment: Int
        /// Tells schedules apart (`SNRSchedule.digest`).
        public var digest: String

        enum CodingKeys: String, CodingKey {
            case points, interpolation, loop, elapsedS = "elapsed_s", segment, digest
        }
    }

    /// `GET /channel/schedule`: the running schedule's points.
    public struct SchedulePoints: Codable, Sendable {
        public var points: [SchedulePoint]
        public var interpolation: String
        public var loop: Bool
        public var digest: String
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
                    points: schedule.points.count, interpolation: schedule.interpolation.rawValue,
                    loop: schedule.loops, elapsedS: snapshot.scheduleElapsed ?? 0,
                    segment: schedule.segment(at: snapshot.scheduleElapsed ?? 0), digest: schedule.digest)
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
