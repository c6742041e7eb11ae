import AsyncHTTPClient
import NIOCore
import RelayJSON

/// OpenAI's API, or any server that speaks it (vLLM, llama.cpp, Ollama, LiteLLM): chat completions and legacy
/// completions streamed with `include_usage`, and embeddings.
public struct OpenAIProvider: LLMProvider {
    public let id: String
    /// Up to and including `/v1`, e.g. `https://api.openai.com/v1`.
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
        let headers = apiKey.map { [("authorization", "Bearer \($0)")] } ?? []
        switch request.kind {
        case .embedding:
            let response = try await http.post(url: baseURL + "/embeddings", headers: headers, body: embeddingBody(request))
            return try await embeddings(from: response)
        case .chat, .completion:
            let path = request.kind == .chat ? "/chat/completions" : "/completions"
            let response = try await http.post(url: baseURL + path, headers: headers, body: generationBody(request))
            let provider = id
            return http.events(of: response) { event, continuation in
                if event.data == "[DONE]" { return true }
                guard let chunk = JSONValue.parse(event.data) else { return false }
                if let error = chunk["error"] {
                    throw ProviderError(.streamBroken, provider: provider, message: error["message"]?.stringValue ?? "error in stream")
                }
                let choice = chunk["choices"]?.arrayValue?.first
                if let text = choice?["delta"]?["content"]?.stringValue ?? choice?["text"]?.stringValue, !text.isEmpty {
                    continuation.yield(.text(text))
                }
                if let reason = choice?["finish_reason"]?.stringValue { continuation.yield(.finish(reason)) }
                if let usage = chunk["usage"], let prompt = usage["prompt_tokens"]?.intValue {
                    continuation.yield(.usage(TokenUsage(
                        promptTokens: prompt, completionTokens: usage["completion_tokens"]?.intValue ?? 0
                    )))
                }
                return false
            }
        }
    }

    private func generationBody(_ request: LLMRequest) -> JSONValue {
        var body = request.extra ?? [:]
        body["model"] = .string(request.model)
        body["stream"] = true
        body["stream_options"] = ["include_usage": true]
        if request.kind == .chat {
            body["messages"] = .array((request.messages ?? []).map { ["role": .string($0.role), "content": .string($0.content)] })
        } else {
            body["prompt"] = .string(request.prompt ?? "")
        }
        if let maxTokens = request.maxTokens { body["max_tokens"] = .int(maxTokens) }
        if let temperature = request.temperature { body["temperature"] = .double(temperature) }
        return .object(body)
    }

    private func embeddingBody(_ request: LLMRequest) -> JSONValue {
        var body = request.extra ?? [:]
        body["model"] = .string(request.model)
        body["input"] = .array((request.input ?? []).map(JSONValue.string))
        body["encoding_format"] = "float"
        return .object(body)
    }

    private func embeddings(from response: HTTPClientResponse) async throws -> AsyncThrowingStream<ProviderEvent, any Error> {
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: 256 * 1024 * 1024)
        } catch {
            throw ProviderError(.streamBroken, provider: id, message: "the embeddings response could not be read: \(error)")
        }
        guard let json = JSONValue.parse(String(buffer: body)), let data = json["data"]?.arrayValue else {
            throw ProviderError(.streamBroken, provider: id, message: "the embeddings response is not what OpenAI sends")
        }
        let vectors = data.sorted { ($0["index"]?.intValue ?? 0) < ($1["index"]?.intValue ?? 0) }.map { item in
            (item["embedding"]?.arrayValue ?? []).compactMap { value -> Double? in
                switch value {
                case .double(let number): return number
                case .int(let number): return Double(number)
                default: return nil
                }
            }
        }
        let prompt = json["usage"]?["prompt_tokens"]?.intValue
        return AsyncThrowingStream { continuation in
            continuation.yield(.embeddings(vectors))
            if let prompt { continuation.yield(.usage(TokenUsage(promptTokens: prompt, completionTokens: 0))) }
            continuation.finish()
        }
    }
}
