import BullQueue
import Prometheus

/// The ingress's Prometheus metrics: requests by API and status, latency histograms, open WebSocket connections,
/// and (read at each scrape) queue depths. `GET /metrics` prints them with everything else in the registry.
public final class IngressMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let webSockets: Gauge
    static let latencyBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(3), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    private static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "relay_http_requests", unitName: "total", helpText: "HTTP requests by API and status"
        )
    }
    private static var requestDuration: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "relay_http_request_duration", unitName: "seconds", helpText: "HTTP request latency, to the last byte"
        )
    }
    private static var firstResult: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "relay_first_result", unitName: "seconds",
            helpText: "Time from a request's arrival to its first chunk (or whole result)"
        )
    }
    private static var queueJobs: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "relay_queue_jobs", unitName: "", helpText: "Jobs in each pool's queue by state"
        )
    }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        webSockets = registry.makeGauge(
            descriptor: .init(metricName: "relay_websocket_connections", unitName: "", helpText: "Open WebSocket connections")
        )
    }

    /// Counts a finished HTTP request and records how long it took.
    func recordRequest(api: String, status: Int, duration: Duration) {
        registry.makeCounter(descriptor: Self.requests, labels: [("api", api), ("status", String(status))]).increment()
        registry.makeDurationHistogram(descriptor: Self.requestDuration, labels: [("api", api)], buckets: Self.latencyBuckets)
            .record(duration)
    }

    /// Records the time from a request's arrival to its first result.
    func recordFirstResult(api: String, after duration: Duration) {
        registry.makeDurationHistogram(descriptor: Self.firstResult, labels: [("api", api)], buckets: Self.latencyBuckets)
            .record(duration)
    }

    func webSocketOpened() { webSockets.increment() }
    func webSocketClosed() { webSockets.decrement() }

    /// Reads the depth of every pool's queue into gauges (before a scrape).
    func updateQueueDepths(_ queues: [String: Queue]) async {
        for (pool, queue) in queues {
            guard let counts = try? await queue.getJobCounts([.waiting, .prioritized, .delayed, .active]) else { continue }
            for (state, count) in counts {
                registry.makeGauge(descriptor: Self.queueJobs, labels: [("pool", pool), ("state", state.rawValue)])
                    .set(Double(count))
            }
        }
    }
}
