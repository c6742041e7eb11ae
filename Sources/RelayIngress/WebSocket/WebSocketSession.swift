import Foundation
import Logging
import NIOWebSocket
import RelayWorkers
import RelayJSON
import Synchronization

/// One authenticated WebSocket connection: many requests at once, each relayed from its job's stream.
///
/// Closing the connection stops relaying but never cancels a job: the client may `resume` on a new connection.
final class WebSocketSession: Sendable {
    /// Requests in flight on one connection at most.
    static let maxInFlight = 64

    let identity: Identity
    let submitter: RequestSubmitter
    let outbound: WebSocketOutbound
    let providers: Set<String>
    let metrics: IngressMetrics
    let logger: Logger
    private let inFlight = Mutex<[String: Task<Void, Never>]>([:])
    private let cancelsInFlight = Atomic<Int>(0)

    init(identity: Identity, submitter: RequestSubmitter, outbound: WebSocketOutbound, metrics: IngressMetrics, logger: Logger) {
        self.identity = identity
        self.submitter = submitter
        self.outbound = outbound
        self.providers = ClientFrame.providerNames.union(submitter.configuration.providers.keys)
        self.metrics = metrics
        self.logger = logger
    }

    /// The connection is open.
    func opened() {
        metrics.webSocketOpened()
    }

    /// The connection is gone: its requests stop relaying; their jobs go on.
    func closed() {
        metrics.webSocketClosed()
        let tasks = inFlight.withLock { tasks in
            defer { tasks.removeAll() }
            return Array(tasks.values)
        }
        for task in tasks { task.cancel() }
    }

    /// Handles one text message; a message without a usable id closes the connection with the reason.
    func receive(_ text: String) {
        do {
            try handle(try ClientFrame.parse(text, providers: providers))
        } catch {
            guard let id = error.id else {
                outbound.close(.policyViolation, reason: error.error.message)
                return
            }
            send(error: error.error, id: id)
        }
    }

    private func handle(_ frame: ClientFrame) throws(ClientFrame.Refusal) {
        switch frame {
        case .request(let id, let request, let provider, let stream):
            try start(id: id) {
                let job = try await self.submitter.submit(request, provider: provider, identity: self.identity, clientId: id)
                try await self.relay(job, id: id, stream: stream)
            }
        case .resume(let id, let after):
            try start(id: id) {
                guard let job = try await self.submitter.resume(clientId: id, after: after, identity: self.identity) else {
                    throw IngressError(.invalidRequest, "there is no request '\(id)' to resume")
                }
                try await self.relay(job, id: id, stream: true)
            }
        case .cancel(let id):
            guard cancelsInFlight.add(1, ordering: .relaxed).newValue <= Self.maxInFlight else {
                cancelsInFlight.subtract(1, ordering: .relaxed)
                throw ClientFrame.Refusal(
                    id: id, error: IngressError(.rateLimitExceeded, "at most \(Self.maxInFlight) cancels may be in flight on one connection")
                )
            }
            Task {
                defer { self.cancelsInFlight.subtract(1, ordering: .relaxed) }
                do {
                    guard try await self.submitter.cancel(clientId: id, identity: self.identity) else {
                        throw IngressError(.invalidRequest, "there is no request '\(id)' to cancel")
                    }
                } catch {
                    self.send(error: Self.ingressError(error), id: id)
                }
            }
        }
    }

    /// Runs `body` as the request `id`, refusing a duplicate id or one request too many.
    private func start(id: String, _ body: @escaping @Sendable () async throws -> Void) throws(ClientFrame.Refusal) {
        let refusal = inFlight.withLock { tasks -> IngressError? in
            if tasks[id] != nil { return IngressError(.invalidRequest, "a request with id '\(id)' is already in flight") }
            if tasks.count >= Self.maxInFlight {
                return IngressError(.rateLimitExceeded, "at most \(Self.maxInFlight) requests may be in flight on one connection")
            }
            tasks[id] = Task {
                do {
                    try await body()
                } catch is CancellationError {
                } catch {
                    self.send(error: Self.ingressError(error), id: id)
                }
                _ = self.inFlight.withLock { $0.removeValue(forKey: id) }
            }
            return nil
        }
        if let refusal { throw ClientFrame.Refusal(id: id, error: refusal) }
    }

    /// Forwards the job's messages as the worker wrote them, with the request's id; without `stream`, only the last
    /// one, carrying the whole text.
    private func relay(_ job: SubmittedJob, id: String, stream: Bool) async throws {
        var text = ""
        for try await message in job.messages {
            if stream {
                outbound.send(message.withID(id))
                continue
            }
            switch message.kind {
            case .chunk:
                text += message.chunkText ?? ""
            case .done:
                guard case .object(var body) = message.body else { continue }
                body["id"] = .string(id)
                body["data"] = .string(text)
                outbound.send(JSONValue.object(body).json)
            default:
                outbound.send(message.withID(id))
            }
        }
    }

    private func send(error: IngressError, id: String) {
        let body: JSONValue = [
            "id": .string(id), "type": "error",
            "error": ["code": .string(error.code.protocolCode), "message": .string(error.message)],
        ]
        outbound.send(body.json)
    }

    static func ingressError(_ error: any Error) -> IngressError {
        (error as? IngressError) ?? IngressError(.internal, "the request failed")
    }
}
