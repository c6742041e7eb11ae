import HTTPTypes
import Foundation
import Hummingbird
import NIOCore
import RelayJSON
import RelayProviders

/// The OpenAI-compatible API: `/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`, `/v1/models`.
/// The official SDKs work with only `base_url` and `api_key` (a Relay token) changed.
struct OpenAIAPI: HTTPAPI {
    let submitter: RequestSubmitter
    let authenticator: Authenticator
    let metrics: IngressMetrics
    var name: String { "openai" }

    func register(on router: Router<RelayRequestContext>) {
        let v1 = router.group("v1")
        v1.post("chat/completions") { request, context in
            await handle { try await complete(request, context: context, parse: OpenAIRequest.chat) }
        }
        v1.post("completions") { request, context in
            await handle { try await complete(request, context: context, parse: OpenAIRequest.completion) }
        }
        v1.post("embeddings") { request, context in
            await handle { try await embed(request, context: context) }
        }
        v1.get("models") { request, _ in
            await handle {
                _ = try await authenticator.identity(of: request)
                return json(["object": "list", "data": .array(submitter.models.map(model))])
            }
        }
        v1.get("models/:model") { request, context in
            await handle {
                _ = try await authenticator.identity(of: request)
                guard let id = context.parameters.get("model"), submitter.models.contains(id) else {
                    throw IngressError(.modelNotFound, "the model does not exist")
                }
                return json(model(id))
            }
        }
    }

    func errorResponse(_ error: IngressError) -> Response {
        let (status, body) = OpenAIError.body(error)
        return json(body, status: .init(code: status), headers: errorHeaders(error))
    }

    private func model(_ id: String) -> JSONValue {
        ["id": .string(id), "object": "model", "created": 0, "owned_by": "relay"]
    }

    private func complete(
        _ request: Request, context: RelayRequestContext, parse: (JSONValue) throws -> OpenAIRequest
    ) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let parsed = try parse(try await jsonBody(request, context: context))
        let started = ContinuousClock.now
        let job = try await submitter.submit(parsed.request, identity: identity)
        let format = OpenAIFormat(job: job, created: unixTime())
        guard parsed.stream else {
            let result = try await job.collect()
            metrics.recordFirstResult(api: name, after: ContinuousClock.now - started)
            return json(format.completion(result), headers: [HTTPField.Name("x-request-id")!: job.jobId])
        }
        let (first, rest) = try await job.firstMessage()
        metrics.recordFirstResult(api: name, after: ContinuousClock.now - started)
        var headers = ServerSentEventWriter.headers
        headers[HTTPField.Name("x-request-id")!] = job.jobId
        let includeUsage = parsed.includeUsage
        let stream = EventStreamFormat(
            open: { try await $0.send(format.chunk(delta: ["role": "assistant", "content": ""], includeUsage: includeUsage)) },
            message: { message, events in
                switch message.kind {
                case .chunk:
                    try await events.send(format.chunk(delta: ["content": .string(message.chunkText ?? "")], includeUsage: includeUsage))
                case .done:
                    try await events.send(format.chunk(delta: [:], finishReason: format.finishReason(message.finishReason), includeUsage: includeUsage))
                    if includeUsage { try await events.send(format.usageChunk(message.usage)) }
                case .error:
                    try await events.send(OpenAIError.body(message.error).body)
                case .embedding:
                    break
                }
            },
            close: { try await $0.send(raw: "[DONE]") },
            failure: { error, events in try await events.send(OpenAIError.body(error).body) }
        )
        let submitter = self.submitter
        return eventStream(job, first: first, rest: rest, headers: headers, format: stream) {
            try? await submitter.cancel(jobId: job.jobId, queue: job.queue, userId: identity.userId)
        }
    }

    private func embed(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let parsed = try OpenAIRequest.embedding(try await jsonBody(request, context: context))
        let job = try await submitter.submit(parsed.request, identity: identity)
        let result = try await job.collect()
        let data: [JSONValue] = result.embeddings.enumerated().map { index, vector in
            [
                "object": "embedding", "index": .int(index),
                "embedding": parsed.encodingFormat == "base64" ? .string(Self.base64(vector)) : .array(vector.map(JSONValue.double)),
            ]
        }
        let usage = result.usage
        return json(
            [
                "object": "list", "data": .array(data), "model": .string(parsed.request.model),
                "usage": ["prompt_tokens": .int(usage.prompt), "total_tokens": .int(usage.prompt)],
            ],
            headers: [HTTPField.Name("x-request-id")!: job.jobId]
        )
    }

    /// Little-endian float32 values, base64-encoded, as OpenAI sends `encoding_format: base64`.
    static func base64(_ vector: [Double]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return Data(bytes).base64EncodedString()
    }
}
