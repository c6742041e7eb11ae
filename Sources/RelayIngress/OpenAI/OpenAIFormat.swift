import RelayJSON
import RelayProviders

/// OpenAI's response bodies and stream chunks for one job.
struct OpenAIFormat: Sendable {
    let job: SubmittedJob
    let created: Int

    private var isChat: Bool { job.request.kind == .chat }
    private var id: String { (isChat ? "chatcmpl-" : "cmpl-") + job.jobId }

    func finishReason(_ reason: String?) -> String {
        switch reason {
        case "length", "max_tokens": return "length"
        case "content_filter": return "content_filter"
        default: return "stop"
        }
    }

    func usage(_ usage: TokenCounts) -> JSONValue {
        ["prompt_tokens": .int(usage.prompt), "completion_tokens": .int(usage.completion), "total_tokens": .int(usage.total)]
    }

    /// The whole (non-streamed) response.
    func completion(_ result: CollectedResult) -> JSONValue {
        let reason = JSONValue.string(finishReason(result.finishReason))
        let choice: JSONValue =
            isChat
            ? ["index": 0, "message": ["role": "assistant", "content": .string(result.text), "refusal": .null], "logprobs": .null, "finish_reason": reason]
            : ["index": 0, "text": .string(result.text), "logprobs": .null, "finish_reason": reason]
        return [
            "id": .string(id), "object": isChat ? "chat.completion" : "text_completion", "created": .int(created),
            "model": .string(job.request.model), "choices": [choice], "usage": usage(result.usage),
            "system_fingerprint": .null,
        ]
    }

    /// A stream chunk with one choice: `delta` for chat, its `content` as `text` for completions.
    func chunk(delta: [String: JSONValue], finishReason: String? = nil, includeUsage: Bool) -> JSONValue {
        let reason = finishReason.map(JSONValue.string) ?? .null
        let choice: JSONValue =
            isChat
            ? ["index": 0, "delta": .object(delta), "logprobs": .null, "finish_reason": reason]
            : ["index": 0, "text": delta["content"] ?? "", "logprobs": .null, "finish_reason": reason]
        var body: [String: JSONValue] = [
            "id": .string(id), "object": isChat ? "chat.completion.chunk" : "text_completion", "created": .int(created),
            "model": .string(job.request.model), "choices": [choice], "system_fingerprint": .null,
        ]
        if includeUsage { body["usage"] = .null }
        return .object(body)
    }

    /// The last chunk when `stream_options.include_usage` is set: no choices, the usage.
    func usageChunk(_ counts: TokenCounts) -> JSONValue {
        [
            "id": .string(id), "object": isChat ? "chat.completion.chunk" : "text_completion", "created": .int(created),
            "model": .string(job.request.model), "choices": [], "usage": usage(counts), "system_fingerprint": .null,
        ]
    }
}
