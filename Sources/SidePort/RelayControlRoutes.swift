import Daemons
import Foundation
import Hummingbird
import Logging

/// The relay's control API on its side port (protocol/relay-control.openapi.yaml), in the manner of
/// toxiproxy: read and change the channel while the relay runs; changes need the bearer token and
/// apply from the next frame on.
///
/// - `GET /channel`: the settings, the schedule (if any) and the SNR a frame meets now;
/// - `PUT /channel`: new settings (a JSON object; fields left out keep their value), validated like the
///   flags: 400 names the field;
/// - `POST /channel/schedule`: a time-varying SNR, JSON `{"points":[[s,dB],…],"interpolation":"step",
///   "loop":false}` or CSV `seconds,snr_db` (Content-Type text/csv); `DELETE /channel/schedule` ends it;
/// - `GET /stats`: per upstream connection, frames, measured SNR, bit errors, NACKs.
public enum RelayControlRoutes {
    /// Largest request body read (a schedule of 100000 points fits).
    public static let maxBody = 4 << 20

    public static func add(
        to router: Router<BasicRequestContext>, auth: SidePortAuth, control: RelayChannelControl,
        statistics: UpstreamStatistics, logger: Logger
    ) {
        router.get("/channel") { _, _ -> Response in SidePort.json(.ok, describe(control)) }
        router.put("/channel") { request, context -> Response in
            if let refusal = auth.refusal(for: request) { return refusal }
            guard let current = control.snapshot.settings else {
                return SidePort.json(.conflict, ["error": "this relay's channel is fixed", "field": "channel"])
            }
            do {
                let next = try current.applying(try await jsonObject(request, context: context))
                try control.update(next)
                logger.info("channel changed", metadata: metadata(next, by: "PUT /channel"))
                return SidePort.json(.ok, describe(control))
            } catch {
                return problem(error)
            }
        }
        router.post("/channel/schedule") { request, context -> Response in
            if let refusal = auth.refusal(for: request) { return refusal }
            let schedule: SNRSchedule
            do {
                schedule = try await parseSchedule(request, context: context)
            } catch {
                return problem(error)
            }
            control.setSchedule(schedule)
            logger.info(
                "channel schedule started",
                metadata: [
                    "schedule.points": "\(schedule.points.count)", "schedule.interpolation": "\(schedule.interpolation)",
                    "schedule.loop": "\(schedule.loops)",
                ])
            return SidePort.json(.ok, describe(control))
        }
        router.delete("/channel/schedule") { request, _ -> Response in
            if let refusal = auth.refusal(for: request) { return refusal }
            control.setSchedule(nil)
            logger.info("channel schedule ended")
            return SidePort.json(.ok, describe(control))
        }
        router.get("/stats") { _, _ -> Response in
            SidePort.json(.ok, ["connections": statistics.json])
        }
    }

    /// The body of `GET /channel`.
    static func describe(_ control: RelayChannelControl) -> [String: Any] {
        let snapshot = control.snapshot
        var body: [String: Any] = [
            "effective_snr_db": snapshot.effectiveSNRDB, "version": snapshot.version,
            "schedule": snapshot.schedule.map { schedule -> Any in
                var json = schedule.json
                json["elapsed_s"] = snapshot.scheduleElapsed ?? 0
                return json
            } ?? NSNull(),
        ]
        body["settings"] = snapshot.settings?.json ?? NSNull()
        return body
    }

    static func metadata(_ settings: ChannelSettings, by source: String) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["source": "\(source)"]
        for (key, value) in settings.json { metadata["channel.\(key)"] = "\(value is NSNull ? "any" : value)" }
        return metadata
    }

    /// The answer to a refused change: 400 naming the field, or the refusal's own response.
    static func problem(_ error: any Error) -> Response {
        switch error {
        case let error as ChannelSettingsError: SidePort.json(.badRequest, ["error": error.message, "field": error.field])
        case let refusal as Refusal: refusal.response
        default: SidePort.json(.badRequest, ["error": "\(error)"])
        }
    }

    /// A request refused before its content is judged (too large, not JSON).
    struct Refusal: Error { var response: Response }

    static func body(_ request: Request, context: BasicRequestContext) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: maxBody)
        } catch {
            throw Refusal(response: SidePort.json(.contentTooLarge, ["error": "the body is over \(maxBody) bytes"]))
        }
    }

    static func jsonObject(_ request: Request, context: BasicRequestContext) async throws -> [String: Any] {
        let buffer = try await body(request, context: context)
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
            throw Refusal(response: SidePort.json(.badRequest, ["error": "the body must be a JSON object", "field": "body"]))
        }
        return object
    }

    static func parseSchedule(_ request: Request, context: BasicRequestContext) async throws -> SNRSchedule {
        let contentType = request.headers[.contentType] ?? ""
        if contentType.hasPrefix("text/csv") || contentType.hasPrefix("text/plain") {
            let buffer = try await body(request, context: context)
            let query = request.uri.queryParameters
            let interpolation = SNRSchedule.Interpolation(rawValue: query.get("interpolation") ?? "step")
            guard let interpolation else {
                throw ChannelSettingsError(field: "interpolation", message: "must be step or linear")
            }
            return try SNRSchedule(
                csv: String(decoding: buffer.readableBytesView, as: UTF8.self), interpolation: interpolation,
                loops: ["1", "true", "yes"].contains(query.get("loop") ?? "false"))
        }
        let object = try await jsonObject(request, context: context)
        for key in object.keys where !["points", "interpolation", "loop"].contains(key) {
            throw ChannelSettingsError(field: key, message: "unknown field")
        }
        guard let raw = object["points"] as? [Any] else {
            throw ChannelSettingsError(field: "points", message: "must be an array of {\"seconds\": s, \"snr_db\": dB} objects")
        }
        var points: [(Double, Double)] = []
        for item in raw {
            guard let point = item as? [String: Any], let t = point["seconds"].flatMap(JSONValue.number),
                let db = point["snr_db"].flatMap(JSONValue.number), point.count == 2
            else {
                throw ChannelSettingsError(field: "points", message: "each point is {\"seconds\": s, \"snr_db\": dB}")
            }
            points.append((t, db))
        }
        var interpolation = SNRSchedule.Interpolation.step
        if let value = object["interpolation"] {
            guard let text = value as? String, let chosen = SNRSchedule.Interpolation(rawValue: text) else {
                throw ChannelSettingsError(field: "interpolation", message: "must be step or linear")
            }
            interpolation = chosen
        }
        var loops = false
        if let value = object["loop"] {
            guard JSONValue.isBoolean(value), let flag = value as? Bool else {
                throw ChannelSettingsError(field: "loop", message: "must be true or false")
            }
            loops = flag
        }
        return try SNRSchedule(points: points, interpolation: interpolation, loops: loops)
    }
}
