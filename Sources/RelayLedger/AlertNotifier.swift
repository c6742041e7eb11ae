import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Delivers alert events to the configured webhook as JSON POSTs, in order, from its own `run()`.
final class AlertNotifier: Service, Sendable {
    let webhookURL: String?
    let timeout: Duration
    let logger: Logger
    private let stream: AsyncStream<AlertEvent>
    private let continuation: AsyncStream<AlertEvent>.Continuation

    init(webhookURL: String?, timeout: Duration, logger: Logger) {
        self.webhookURL = webhookURL
        self.timeout = timeout
        self.logger = logger
        (stream, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(10_000))
    }

    /// Queues an event for the webhook (nothing happens when no webhook is configured).
    func enqueue(_ event: AlertEvent) {
        guard webhookURL != nil else { return }
        continuation.yield(event)
    }

    func run() async {
        guard let webhookURL else { return }
        for await event in stream {
            await deliver(event, to: webhookURL)
        }
    }

    private func deliver(_ event: AlertEvent, to url: String) async {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let body = WebhookBody(event: event)
        guard let json = try? encoder.encode(body) else { return }
        for attempt in 1...3 {
            do {
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: json))
                let response = try await HTTPClient.shared.execute(request, timeout: .init(timeout))
                if (200..<300).contains(response.status.code) { return }
                logger.warning("alert webhook answered \(response.status.code)", metadata: ["attempt": "\(attempt)"])
            } catch {
                logger.warning("alert webhook failed", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
            }
            try? await Task.sleep(for: .milliseconds(200 * attempt))
        }
    }

    private struct WebhookBody: Encodable {
        let type = "relay.alert"
        let eventId: Int64
        let ruleId: Int64
        let userId: String
        let kind: String
        let threshold: String
        let observed: String
        let thresholdMicros: Int64
        let observedMicros: Int64

        init(event: AlertEvent) {
            eventId = event.id
            ruleId = event.ruleId
            userId = event.userId
            kind = event.kind.rawValue
            threshold = event.threshold.description
            observed = event.observed.description
            thresholdMicros = event.threshold.micros
            observedMicros = event.observed.micros
        }
    }
}
