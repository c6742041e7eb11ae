import HTTPTypes
import Foundation
import Hummingbird
import NIOCore
import RelayJSON
import RelayProviders

/// The Anthropic-compatible Messages API: `POST /v1/messages`, streamed with Anthropic's events or not.
/// The official SDKs work with `base_url` pointing at Relay and a Relay token as the key (`x-api-key` or Bearer).
struct AnthropicAPI: HTTPAPI {
    let submitter: RequestSubmitter
    let authenticator: Authenticator
    let metrics: IngressMetrics
    var name: String { "anthropic" }

    func register(on router: Router<RelayRequestContext>) {
        router.post("v1/messages") { request, context in
            await handle { try await messages(request, context: context) }
        }
    }

    func errorResponse(_ error: IngressError) -> Response {
        let (status, type): (Int, String) =
            switch error.code {
            case .unauthorized: (401, "authentication_error")
            case .forbidden: (403, "permission_error")
            case .modelNotFound, .notFound: (404, "not_found_error")
            case .insufficientCredits: (402, "billing_error")
            case .rateLimitExceeded: (429, "rate_limit_error")
            case .payloadTooLarge: (413, "request_too_large")
            case .invalidRequest, .cancelled: (400, "invalid_request_error")
            case .timeout: (504, "timeout_error")
            case .allProvidersFailed, .unavailable: (529, "overloaded_error")
            default: (500, "api_error")
            }
        return json(Self.errorBody(error, type: type), status: .init(code: status), headers: errorHeaders(error))
    }

    static func errorBody(_ error: IngressError, type: String? = nil) -> JSONValue {
        let kind = type ?? (error.code == .allProvidersFailed ? "overloaded_error" : error.code == .timeout ? "timeout_error" : "api_error")
        return ["type": "error", "error": ["type": .string(kind), "message": .string(error.message)]]
    }

    private func messages(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let parsed = try AnthropicRequest.messages(try await jsonBody(request, context: context))
        let started = ContinuousClock.now
        let job = try await submitter.submit(parsed.request, identity: identity)
        let id = "msg_" + job.jobId.replacingOccurrences(of: "-", with: "")
        let model = parsed.request.model
        let headers: HTTPFields = [HTTPField.Name("request-id")!: job.jobId]
        guard parsed.stream else {
            let result = try await job.collect()
            metrics.recordFirstResult(api: name, after: ContinuousClock.now - started)
            return json(
                [
                    "id": .string(id), "type": "message", "role": "assistant", "model": .string(model),
                    "content": [["type": "text", "text": .string(result.text)]],
                    "stop_reason": .string(Self.stopReason(result.finishReason)), "stop_sequence": .null,
                    "usage": ["input_tokens": .int(result.usage.prompt), "output_tokens": .int(result.usage.completion)],
                ],
                headers: headers
            )
        }
        let (first, rest) = try await job.firstMessage()
        metrics.recordFirstResult(api: name, after: ContinuousClock.now - started)
        let estimatedInput = (parsed.request.promptCharacters + 3) / 4
        var streamHeaders = ServerSentEventWriter.headers
        streamHeaders[HTTPField.Name("request-id")!] = job.jobId
        let stream = EventStreamFormat(
            open: { events in
                try await events.send([
                    "type": "message_start",
                    "message": [
                        "id": .string(id), "type": "message", "role": "assistant", "model": .string(model), "content": [],
                        "stop_reason": .null, "stop_sequence": .null,
                        "usage": ["input_tokens": .int(estimatedInput), "output_tokens": 0],
                    ],
                ], event: "message_start")
                try await events.send(
                    ["type": "content_block_start", "index": 0, "content_block": ["type": "text", "text": ""]],
                    event: "content_block_start")
                try await events.send(["type": "ping"], event: "ping")
            },
            message: { message, events in
                switch message.kind {
                case .chunk:
                    try await events.send(
                        ["type": "content_block_delta", "index": 0, "delta": ["type": "text_delta", "text": .string(message.chunkText ?? "")]],
                        event: "content_block_delta")
                case .done:
                    try await events.send(["type": "content_block_stop", "index": 0], event: "content_block_stop")
                    try await events.send([
                        "type": "message_delta",
                        "delta": ["stop_reason": .string(Self.stopReason(message.finishReason)), "stop_sequence": .null],
                        "usage": ["input_tokens": .int(message.usage.prompt), "output_tokens": .int(message.usage.completion)],
                    ], event: "message_delta")
                    try await events.send(["type": "message_stop"], event: "message_stop")
                case .error:
                    try await events.send(Self.errorBody(message.error), event: "error")
                case .embedding:
                    break
                }
            },
            failure: { error, events in try await events.send(Self.errorBody(error), event: "error") }
        )
        let submitter = self.submitter
        return eventStream(job, first: first, rest: rest, headers: streamHeaders, format: stream) {
            try? await submitter.cancel(jobId: job.jobId, queue: job.queue, userId: identity.userId)
        }
    }

    static func stopReason(_ reason: String?) -> String {
        switch reason {
        case "length", "max_tokens": return "max_tokens"
        case "stop_sequence": return "stop_sequence"
        default: return "end_turn"
        }
    }
}
