import Daemons
import Foundation
import Hummingbird
import Logging
import Synchronization

/// The relay's control API on its side port (protocol/relay-control.openapi.yaml), in the manner of
/// toxiproxy: read and change the channel while the relay runs; changes need the bearer token
/// (`BearerTokenMiddleware`) and apply from the next frame on.
///
/// - `GET /channel`: the settings, the schedule (if any) and the SNR a frame meets now; `ETag: "VERSION"`;
/// - `PUT /channel`: new settings — a settings object whose fields left out keep their value, or the whole
///   body `GET /channel` returned (its `settings` apply; `schedule`, `effective_snr_db` and `version` are
///   read-only and ignored). Validated like the flags: 400 names the field. `If-Match: "VERSION"` makes the
///   change conditional: 412 (and nothing changed) when the channel moved on since. Without `If-Match` the
///   last writer wins, field by field: two concurrent changes of different fields both take effect;
/// - `POST /channel/schedule`: a time-varying SNR, JSON `{"points":[{"seconds":s,"snr_db":dB},…],
///   "interpolation":"step","loop":false}` or CSV `seconds,snr_db` (Content-Type text/csv);
///   `DELETE /channel/schedule` ends it;
/// - `GET /stats`: per upstream connection, frames, measured SNR, bit errors, NACKs.
public enum RelayControlRoutes {
    /// Largest request body read (a schedule of 100000 points fits).
    public static let maxBody = 4 << 20

    public static func add(
        to router: Router<BasicRequestContext>, control: RelayChannelControl, statistics: UpstreamStatistics,
        logger: Logger
    ) {
        let cache = SchedulePointsCache()
        router.get("/channel") { _, _ -> Response in channel(control) }
        router.put("/channel") { request, context -> Response in
            do {
                let expected = try expectedVersion(request)
                let fields = try settingsFields(try await jsonObject(request, context: context))
                let next = try change(control, expectedVersion: expected, fields: fields)
                logger.info("channel changed", metadata: metadata(next, by: "PUT /channel"))
                return channel(control)
            } catch let refusal as Refusal {
                return refusal.response
            }
        }
        router.post("/channel/schedule") { request, context -> Response in
            let schedule: SNRSchedule
            do {
                schedule = try await parseSchedule(request, context: context)
                try control.setSchedule(schedule)
                _ = cache.points(of: schedule)  // serialised once, now, not per request
            } catch let refusal as Refusal {
                return refusal.response
            } catch let invalid as ChannelSettingsError {
                return SidePortAPI.problem(.badRequest, invalid.message, field: invalid.field)
            }
            logger.info(
                "channel schedule started",
                metadata: [
                    "schedule.points": "\(schedule.points.count)",
                    "schedule.interpolation": "\(schedule.interpolation)",
                    "schedule.loop": "\(schedule.loops)",
                ])
            return channel(control)
        }
        router.get("/channel/schedule") { _, _ -> Response in
            guard let schedule = control.snapshot.schedule else {
                return SidePortAPI.problem(.notFound, "no schedule runs (POST /channel/schedule starts one)")
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json", .eTag: "\"\(schedule.digest)\""],
                body: .init(byteBuffer: cache.points(of: schedule)))
        }
        router.delete("/channel/schedule") { _, _ -> Response in
            try control.setSchedule(nil)
            logger.info("channel schedule ended")
            return channel(control)
        }
        router.get("/stats") { _, _ -> Response in
            SidePortAPI.response(.ok, SidePortAPI.Stats(connections: statistics.snapshot))
        }
    }

    /// `GET /channel`'s answer, with its ETag.
    static func channel(_ control: RelayChannelControl, status: HTTPResponse.Status = .ok) -> Response {
        let body = SidePortAPI.Channel(control.snapshot)
        return SidePortAPI.response(status, body, headers: [.eTag: etag(body.version)])
    }

    static func etag(_ version: Int) -> String { "\"\(version)\"" }

    /// Applies `fields` to the settings of this moment (atomically), answering the refusals.
    static func change(
        _ control: RelayChannelControl, expectedVersion: Int?, fields: [String: JSONValue]
    ) throws(Refusal) -> ChannelSettings {
        do {
            return try control.change(expectedVersion: expectedVersion) { current throws(ChannelSettingsError) in
                try current.applying(fields)
            }
        } catch {
            switch error {
            case .invalid(let invalid):
                throw Refusal(SidePortAPI.problem(.badRequest, invalid.message, field: invalid.field))
            case .fixed:
                throw Refusal(SidePortAPI.problem(.conflict, "this relay's channel is fixed", field: "channel"))
            case .stale(let current):
                throw Refusal(
                    SidePortAPI.problem(
                        .preconditionFailed,
                        "the channel changed since version \(expectedVersion ?? 0) (now \(current)): read it again",
                        field: "If-Match"))
            }
        }
    }

    /// The version `If-Match` names (nil: no condition, or `*`).
    static func expectedVersion(_ request: Request) throws(Refusal) -> Int? {
        guard let header = request.headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), header != "*" else {
            return nil
        }
        var tag = Substring(header)
        if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
        guard tag.count >= 2, tag.first == "\"", tag.last == "\"", let version = Int(tag.dropFirst().dropLast()) else {
            throw Refusal(
                SidePortAPI.problem(
                    .badRequest, "If-Match must be the ETag of GET /channel, e.g. \"3\"", field: "If-Match"))
        }
        return version
    }

    /// The settings fields of a PUT body: the object itself, or the `settings` of a `GET /channel` body.
    static func settingsFields(_ object: [String: JSONValue]) throws(Refusal) -> [String: JSONValue] {
        guard let settings = object["settings"] else { return object }
        for key in object.keys where !SidePortAPI.Channel.CodingKeys.allCases.map(\.rawValue).contains(key) {
            throw Refusal(SidePortAPI.problem(.badRequest, "unknown field", field: key))
        }
        guard let fields = settings.object else {
            throw Refusal(SidePortAPI.problem(.badRequest, "must be a settings object", field: "settings"))
        }
        return fields
    }

    static func metadata(_ settings: ChannelSettings, by source: String) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["source": "\(source)"]
        let encoded = try? JSONEncoder().encode(settings.document)
        let fields = encoded.flatMap { try? JSONDecoder().decode(JSONValue.self, from: $0) }?.object ?? [:]
        for (key, value) in fields { metadata["channel.\(key)"] = "\(value == .null ? "any" : value.description)" }
        return metadata
    }

    /// A request refused, with the answer to send.
    struct Refusal: Error {
        var response: Response
        init(_ response: Response) { self.response = response }
    }

    static func body(_ request: Request, context: BasicRequestContext) async throws(Refusal) -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: maxBody)
        } catch {
            throw Refusal(SidePortAPI.problem(.contentTooLarge, "the body is over \(maxBody) bytes"))
        }
    }

    static func jsonObject(_ request: Request, context: BasicRequestContext) async throws(Refusal) -> [String:
        JSONValue]
    {
        let buffer = try await body(request, context: context)
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView)),
            let object = value.object
        else {
            throw Refusal(SidePortAPI.problem(.badRequest, "the body must be a JSON object", field: "body"))
        }
        return object
    }

    /// The field a decoding error is about, named as the API names it.
    static func field(of error: DecodingError) -> ChannelSettingsError {
        let path: [any CodingKey]
        let message: String
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
            message = "must be a finite number, a string or a boolean as the schema says"
        case .keyNotFound(let key, let context):
            path = context.codingPath + [key]
            message = "is required"
        @unknown default:
            return ChannelSettingsError(field: "body", message: "\(error)")
        }
        let field = path.last { $0.intValue == nil }?.stringValue ?? "body"
        return ChannelSettingsError(field: field, message: message)
    }

    static func parseSchedule(_ request: Request, context: BasicRequestContext) async throws(Refusal) -> SNRSchedule {
        func invalid(_ error: ChannelSettingsError) -> Refusal {
            Refusal(SidePortAPI.problem(.badRequest, error.message, field: error.field))
        }
        let contentType = request.headers[.contentType] ?? ""
        if contentType.hasPrefix("text/csv") || contentType.hasPrefix("text/plain") {
            let buffer = try await body(request, context: context)
            let query = request.uri.queryParameters
            guard let interpolation = SNRSchedule.Interpolation(rawValue: query.get("interpolation") ?? "step") else {
                throw invalid(ChannelSettingsError(field: "interpolation", message: "must be step or linear"))
            }
            do {
                return try SNRSchedule(
                    csv: String(decoding: buffer.readableBytesView, as: UTF8.self), interpolation: interpolation,
                    loops: ["1", "true", "yes"].contains(query.get("loop") ?? "false"))
            } catch {
                throw invalid(error)
            }
        }
        let buffer = try await body(request, context: context)
        let parsed: SidePortAPI.Schedule
        do {
            parsed = try JSONDecoder().decode(SidePortAPI.Schedule.self, from: Data(buffer.readableBytesView))
        } catch let error as ChannelSettingsError {
            throw invalid(error)
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw invalid(ChannelSettingsError(field: "body", message: "the body must be a JSON object"))
        } catch let error as DecodingError {
            throw invalid(Self.field(of: error))
        } catch {
            throw invalid(ChannelSettingsError(field: "body", message: "the body must be a JSON object"))
        }
        let points = parsed.points.map { ($0.seconds, $0.snrDB) }
        guard let interpolation = SNRSchedule.Interpolation(rawValue: parsed.interpolation ?? "step") else {
            throw invalid(ChannelSettingsError(field: "interpolation", message: "must be step or linear"))
        }
        let loops = parsed.loop ?? false
        do {
            return try SNRSchedule(points: points, interpolation: interpolation, loops: loops)
        } catch {
            throw invalid(error)
        }
    }
}

/// The points of the running schedule as `GET /channel/schedule` sends them, serialised once per schedule
/// (up to 100000 points: ≈ 3 MB of JSON, built when the schedule is set, never per request).
final class SchedulePointsCache: Sendable {
    private let cached = Mutex<(digest: String, body: ByteBuffer)?>(nil)

    func points(of schedule: SNRSchedule) -> ByteBuffer {
        if let hit = cached.withLock({ $0 }), hit.digest == schedule.digest { return hit.body }
        let body = SidePortAPI.SchedulePoints(
            points: schedule.points.map { SidePortAPI.SchedulePoint(seconds: $0.seconds, snrDB: $0.dB) },
            interpolation: schedule.interpolation.rawValue, loop: schedule.loops, digest: schedule.digest)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let buffer = ByteBuffer(bytes: (try? encoder.encode(body)) ?? Data("{}".utf8))
        cached.withLock { $0 = (schedule.digest, buffer) }
        return buffer
    }
}
