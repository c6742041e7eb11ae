import RelayJSON
import RelayProviders

/// A request to the Anthropic-compatible Messages API, read into an ``LLMRequest``.
struct AnthropicRequest: Sendable {
    var request: LLMRequest
    var stream: Bool

    static func messages(_ body: JSONValue) throws -> AnthropicRequest {
        var request = LLMRequest(kind: .chat, model: try RequestParsing.model(body["model"]))
        guard let maxTokens = try RequestParsing.positiveInt(body["max_tokens"], field: "max_tokens") else {
            throw IngressError(.invalidRequest, "max_tokens: Field required")
        }
        request.maxTokens = maxTokens
        var messages = try RequestParsing.messages(body["messages"])
        for (index, message) in messages.enumerated() where message.role != "user" && message.role != "assistant" {
            throw IngressError(.invalidRequest, "messages.\(index).role: Input should be 'user' or 'assistant'")
        }
        if let system = body["system"], system != .null {
            messages.insert(ChatMessage(role: "system", content: try RequestParsing.text(of: system, field: "system")), at: 0)
        }
        request.messages = messages
        request.temperature = try RequestParsing.temperature(body["temperature"], max: 1)
        return AnthropicRequest(request: request, stream: try RequestParsing.bool(body["stream"], field: "stream", default: false))
    }
}
