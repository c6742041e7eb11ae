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

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        webSockets = registry.makeGauge(name: "relay_websocket_connections", help: "Open WebSocket connections")
    }

    /// Counts a finished HTTP request and records how long it took.
    func recordRequest(api: String, status: Int, duration: Duration) {
        registry.makeCounter(
            name: "relay_http_requests_total", labels: [("api", api), ("status", String(status))],
            help: "HTTP requests by API and status"
        ).increment()
        registry.makeDurationHistogram(
            name: "relay_http_request_duration_seconds", labels: [("api", api)], buckets: Self.latencyBuckets,
            help: "HTTP request latency, to the last byte"
        ).record(duration)
    }

    /// Records the time from a request's arrival to its first result.
    func recordFirstResult(api: String, after duration: Duration) {
        registry.makeDurationHistogram(
            name: "relay_first_result_seconds", labels: [("api", api)], buckets: Self.latencyBuckets,
            help: "Time from a request's arrival to its first chunk (or whole result)"
        ).record(duration)
    }

    func webSocketOpened() { webSockets.increment() }
    func webSocketClosed() { webSockets.decrement() }

    /// Reads the depth of every pool's queue into gauges (before a scrape).
    func updateQueueDepths(_ queues: [String: Queue]) async {
        for (pool, queue) in queues {
            guard let counts = try? await queue.getJobCounts([.waiting, .prioritized, .delayed, .active]) else { continue }
            for (state, count) in counts {
                registry.makeGauge(
                    name: "relay_queue_jobs", labels: [("pool", pool), ("state", state.rawValue)],
                    help: "Jobs in each pool's queue by state"
                ).set(Double(count))
            }
        }
    }
}
