import CoreMetrics
import Foundation
import Synchronization

/// The link's Prometheus metrics, derived from the daemons' typed events (`FrameEvent` through
/// `DaemonEvents`), so that what is counted is exactly what is logged. Emitted through swift-metrics; the
/// executable chooses the backend, and `families` gives each family's help text and type.
///
/// Bytes, connections and the receiver's queue are measured where they happen (`WireTraffic`,
/// `ReceiverService`).
public enum TransmissionMetrics {
    /// A metric family: its name (units in the name, Prometheus style), type and help text.
    public struct Family: Sendable {
        public enum Kind: String, Sendable { case counter, gauge, histogram }
        public var name: String
        public var kind: Kind
        public var help: String
    }

    public static let framesTotal = Family(
        name: "semcom_frames_total", kind: .counter,
        help: "Frame events per daemon: sent, retransmitted, relayed, received, decided, written, generated, acked, "
            + "nacked (by reason), lost.")
    public static let measuredSNR = Family(
        name: "semcom_channel_measured_snr_db", kind: .gauge,
        help: "SNR the relay measured on the last frame it relayed, dB.")
    public static let bitErrorsTotal = Family(
        name: "semcom_channel_bit_errors_total", kind: .counter,
        help: "Bit errors the relay's channel put into the frames it relayed.")
    public static let generationSeconds = Family(
        name: "semcom_generation_seconds", kind: .histogram,
        help: "Time the receiver's generator took per image, seconds.")
    public static let connectionsOpen = Family(
        name: "semcom_connections", kind: .gauge,
        help: "Wire connections open now, per side (upstream: accepted, downstream: dialled).")
    public static let bytesTotal = Family(
        name: "semcom_bytes_total", kind: .counter, help: "Bytes on the wire, per direction (in, out).")
    public static let queuedMaps = Family(
        name: "semcom_queue_depth", kind: .gauge,
        help: "Maps the receiver stored that wait for the generator.")

    public static let eventsSkipped = Family(
        name: "semcom_events_skipped_total", kind: .counter,
        help: "Live events /events readers missed because they read too slowly (they skip ahead).")

    /// Every family the daemons emit.
    public static let families = [
        framesTotal, measuredSNR, bitErrorsTotal, generationSeconds, connectionsOpen, bytesTotal, queuedMaps,
        eventsSkipped,
    ]

    /// Counts `event` if it reports a frame step (and records its channel figures and generation time).
    public static func record(_ event: DaemonEvent) {
        guard let frame = event.frame else { return }
        let kind = frame.kind
        frames(daemon: event.label, event: kind.rawValue, reason: kind == .nacked ? frame.reason ?? "unknown" : nil)
            .increment()
        switch kind {
        case .relayed:
            if let snr = frame.measuredSNRDB {
                Gauge(label: measuredSNR.name, dimensions: [("daemon", event.label)]).record(snr)
            }
            if let errors = frame.bitErrors, errors > 0 {
                Counter(label: bitErrorsTotal.name, dimensions: [("daemon", event.label)]).increment(by: Int64(errors))
            }
        case .generated:
            if let ms = frame.durationMS {
                Recorder(label: generationSeconds.name, dimensions: [("daemon", event.label)], aggregate: true)
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
            let counter = Counter(label: framesTotal.name, dimensions: dimensions)
            counters[key] = counter
            return counter
        }
    }

    /// Connections open now, per daemon and side (`upstream`: accepted, `downstream`: dialled).
    static func connections(daemon: String, side: String) -> Meter {
        Meter(label: connectionsOpen.name, dimensions: [("daemon", daemon), ("side", side)])
    }

    /// Bytes on the wire, per daemon and direction (`in`, `out`).
    static func bytes(daemon: String, direction: String) -> Counter {
        Counter(label: bytesTotal.name, dimensions: [("daemon", daemon), ("direction", direction)])
    }

    /// Maps written and waiting for the generator (receiver).
    static func queueDepth(daemon: String) -> Meter {
        Meter(label: queuedMaps.name, dimensions: [("daemon", daemon)])
    }
}
