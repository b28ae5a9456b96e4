import CoreMetrics
import Foundation
import Synchronization

/// The link's Prometheus metrics, derived from the daemons' live events (`DaemonEvents`), so that what is
/// counted is exactly what is logged. Emitted through swift-metrics; the executable chooses the backend.
///
/// - `semcom_frames_total{daemon,event[,reason]}`: sent, retransmitted, acked, nacked (by reason), lost,
///   relayed, received, written, generated;
/// - `semcom_channel_measured_snr_db{daemon}` (relay, last frame) and `semcom_channel_bit_errors_total`;
/// - `semcom_generation_seconds` (receiver, histogram of the generator's time per image).
///
/// Bytes, connections and the receiver's queue are measured where they happen (`WireTraffic`,
/// `ReceiverService`).
public enum TransmissionMetrics {
    /// The frame event each log message counts as.
    static let frameEvents: [String: String] = [
        "frame sent": "sent",
        "frame retransmitted": "retransmitted",
        "frame acked": "acked",
        "frame acknowledged": "acked",
        "frame nacked": "nacked",
        "frame nacked; retransmitting": "nacked",
        "frame nacked (peer unavailable); retransmitting after a pause": "nacked",
        "frame lost": "lost",
        "nack forwarded": "nacked",
        "frame relayed": "relayed",
        "frame received": "received",
        "frame written": "written",
        "image generated": "generated",
    ]

    /// Counts `event` if it is a frame event (and records its channel figures and generation time).
    public static func record(_ event: DaemonEvent) {
        guard let kind = frameEvents[event.message] else { return }
        frames(daemon: event.label, event: kind, reason: kind == "nacked" ? event["reason"] ?? "unknown" : nil).increment()
        switch kind {
        case "relayed":
            if let snr = event["channel.measured_snr_db"].flatMap(Double.init) {
                Gauge(label: "semcom_channel_measured_snr_db", dimensions: [("daemon", event.label)]).record(snr)
            }
            if let errors = event["channel.bit_errors"].flatMap(Int64.init), errors > 0 {
                Counter(label: "semcom_channel_bit_errors_total", dimensions: [("daemon", event.label)]).increment(by: errors)
            }
        case "generated":
            if let ms = event["duration_ms"].flatMap(Double.init) {
                Recorder(label: "semcom_generation_seconds", dimensions: [("daemon", event.label)], aggregate: true)
                    .record(ms / 1000)
            }
        default:
            break
        }
    }

    /// One counter per (daemon, event, reason), made once: the backend's lookup by name and labels is
    /// not free, and a fast link counts thousands of events a second.
    private static let counters = Mutex<[[String]: Counter]>([:])

    static func frames(daemon: String, event: String, reason: String?) -> Counter {
        let key = [daemon, event, reason ?? ""]
        return counters.withLock { counters in
            if let counter = counters[key] { return counter }
            var dimensions = [("daemon", daemon), ("event", event)]
            if let reason { dimensions.append(("reason", reason)) }
            let counter = Counter(label: "semcom_frames_total", dimensions: dimensions)
            counters[key] = counter
            return counter
        }
    }

    /// Connections open now, per daemon and side (`upstream`: accepted, `downstream`: dialled).
    static func connections(daemon: String, side: String) -> Meter {
        Meter(label: "semcom_connections", dimensions: [("daemon", daemon), ("side", side)])
    }

    /// Bytes on the wire, per daemon and direction (`in`, `out`).
    static func bytes(daemon: String, direction: String) -> Counter {
        Counter(label: "semcom_bytes_total", dimensions: [("daemon", daemon), ("direction", direction)])
    }

    /// Maps written and waiting for the generator (receiver).
    static func queueDepth(daemon: String) -> Meter {
        Meter(label: "semcom_queue_depth", dimensions: [("daemon", daemon)])
    }
}
