import CoreMetrics
import Daemons
import Prometheus

/// swift-metrics' backend for the side port: swift-prometheus's registry, with every family's `# HELP` text
/// from `TransmissionMetrics.families` (swift-prometheus's own factory writes none, which `promtool check
/// metrics` rejects).
struct DescribedMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    /// Buckets of value histograms (the generator's seconds per image).
    var histogramBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60]
    /// Buckets of timers.
    var durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(50), .milliseconds(500), .seconds(5), .seconds(60),
    ]

    private static let help = Dictionary(uniqueKeysWithValues: TransmissionMetrics.families.map { ($0.name, $0.help) })

    /// The family's help text; a metric outside the catalogue still gets one, naming itself.
    static func help(for label: String) -> String { help[label] ?? "semcom metric \(label)." }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: Self.help(for: label))
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: Self.help(for: label))
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(name: label, labels: dimensions, help: Self.help(for: label)) }
        return registry.makeValueHistogram(
            name: label, labels: dimensions, buckets: histogramBuckets, help: Self.help(for: label))
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(name: label, labels: dimensions, help: Self.help(for: label))
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(
            name: label, labels: dimensions, buckets: durationBuckets, help: Self.help(for: label))
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        switch handler {
        case let gauge as Prometheus.Gauge: registry.unregisterGauge(gauge)
        case let histogram as ValueHistogram: registry.unregisterValueHistogram(histogram)
        default: break
        }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}
