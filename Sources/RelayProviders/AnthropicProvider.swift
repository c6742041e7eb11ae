import AsyncHTTPClient
import NIOCore
import RelayJSON

/// Anthropic's Messages API, streamed; usage from `message_start` and `message_delta`.
public struct AnthropicProvider: LLMProvider {
    public let id: String
    /// Without `/v1`, e.g. `https://api.anthropic.com`.
    public let baseURL: String
    private let apiKey: String?
    private let http: HTTPProviderSupport

    public init(id: String, baseURL: String, apiKey: String?, httpClient: HTTPClient, connectTimeout: TimeAmount = .seconds(30)) {
        self.id = id
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.http = HTTPProviderSupport(provider: id, httpClient: httpClient, connectTimeout: connectTimeout)
    }

    public func stream(_ request: LLMRequest) async throws -> AsyncThrowingStream<ProviderEvent, any Error> {
        guard request.kind != .embedding else {
            throw ProviderError(.invalidRequest, provider: id, message: "Anthropic has no embeddings API")
        }
        var headers = [("anthropic-version", "2023-06-01")]
        if let apiKey { headers.append(("x-api-key", apiKey)) }
        let response = try await http.post(url: baseURL + "/v1/messages", headers: headers, body: body(request))
        let provider = id
        let usage = UsageAccumulator()
        return http.events(of: response) { event, continuation in
            guard let payload = JSONValue.parse(event.data) else { return false }
            switch event.name ?? payload["type"]?.stringValue {
            case "message_start":
                usage.prompt = payload["message"]?["usage"]?["input_tokens"]?.intValue ?? 0
                usage.completion = payload["message"]?["usage"]?["output_tokens"]?.intValue ?? 0
            case "content_block_delta":
                if payload["delta"]?["type"]?.stringValue == "text_delta", let text = payload["delta"]?["text"]?.stringValue {
                    continuation.yield(.text(text))
                }
            case "message_delta":
                if let output = payload["usage"]?["output_tokens"]?.intValue { usage.completion = output }
                if let input = payload["usage"]?["input_tokens"]?.intValue { usage.prompt = input }
                if let reason = payload["delta"]?["stop_reason"]?.stringValue {
                    continuation.yield(.finish(reason == "max_tokens" ? "length" : "stop"))
                }
            case "message_stop":
                continuation.yield(.usage(TokenUsage(promptTokens: usage.prompt, completionTokens: usage.completion)))
                return true
            case "error":
                throw ProviderError(
                    .streamBroken, provider: provider,
                    message: payload["error"]?["message"]?.stringValue ?? "error in stream"
                )
            default:
                break
            }
            return false
        }
    }

    private func body(_ request: LLMRequest) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": .string(request.model), "max_tokens": .int(request.maxTokens ?? 1024), "stream": true,
        ]
        let messages = request.messages ?? [ChatMessage(role: "user", content: request.prompt ?? "")]
        let system = messages.filter { $0.role == "system" || $0.role == "developer" }.map(\.content)
        if !system.isEmpty { body["system"] = .string(system.joined(separator: "\n")) }
        body["messages"] = .array(messages.filter { $0.role == "user" || $0.role == "assistant" }.map {
            ["role": .string($0.role), "content": .string($0.content)]
        })
        if let temperature = request.temperature { body["temperature"] = .double(temperature) }
        return .object(body)
    }
}

/// Usage counts gathered across a stream's events (used from one task at a time).
private final class UsageAccumulator: @unchecked Sendable {
    var prompt = 0
    var completion = 0
}
