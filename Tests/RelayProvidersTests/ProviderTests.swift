import Foundation
import RelayJSON
import RelayProviders
import Testing

/// Collects a provider's events.
func collect(_ provider: any LLMProvider, _ request: LLMRequest) async throws -> (text: String, usage: TokenUsage?, events: [ProviderEvent]) {
    var text = ""
    var usage: TokenUsage?
    var events: [ProviderEvent] = []
    for try await event in try await provider.stream(request) {
        events.append(event)
        if case .text(let piece) = event { text += piece }
        if case .usage(let reported) = event { usage = reported }
    }
    return (text, usage, events)
}

let chat = LLMRequest(kind: .chat, model: "gpt-4o", messages: [ChatMessage(role: "user", content: "Say hello to Relay")])

@Suite("Providers against llmock", .enabled(if: LLMock.isAvailable, "needs llmock (bin/test installs it)"))
struct ProviderTests {
    @Test("OpenAI chat streams text and the provider's usage")
    func openAIChat() async throws {
        let mock = try await LLMock()
        defer { mock.stop() }
        let provider = OpenAIProvider(id: "openai", baseURL: mock.openAIBaseURL, apiKey: "sk-test", httpClient: LLMock.httpClient)
        let (text, usage, events) = try await collect(provider, chat)
        #expect(!text.isEmpty)
        #expect(events.contains(.finish("stop")))
        let reported = try #require(usage)
        #expect(reported.estimated == false && reported.completionTokens > 0)
    }

    @Test("OpenAI embeddings return one vector per input")
    func openAIEmbeddings() async throws {
        let mock = try await LLMock()
        defer { mock.stop() }
        let provider = OpenAIProvider(id: "openai", baseURL: mock.openAIBaseURL, apiKey: "sk-test", httpClient: LLMock.httpClient)
        let request = LLMRequest(kind: .embedding, model: "text-embedding-3-small", input: ["one", "two"])
        let (_, usage, events) = try await collect(provider, request)
        guard case .embeddings(let vectors)? = events.first else { Issue.record("no embeddings"); return }
        #expect(vectors.count == 2 && vectors.allSatisfy { $0.count > 100 })
        #expect(usage != nil && usage?.estimated == false)
    }

    @Test("Anthropic messages stream text, with usage from message_start and message_delta")
    func anthropicMessages() async throws {
        let mock = try await LLMock()
        defer { mock.stop() }
        let provider = AnthropicProvider(id: "claude", baseURL: mock.anthropicBaseURL, apiKey: "key", httpClient: LLMock.httpClient)
        var request = chat
        request.model = "claude-sonnet-4"
        request.messages = [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "hi")]
        let (text, usage, _) = try await collect(provider, request)
        #expect(text.contains("Mock response"))
        #expect((usage?.completionTokens ?? 0) > 1)
    }

    @Test("a 429 is a retryable rateLimited error carrying retry-after")
    func rateLimited() async throws {
        let mock = try await LLMock(["--error-rate", "429=1.0"])
        defer { mock.stop() }
        let provider = OpenAIProvider(id: "openai", baseURL: mock.openAIBaseURL, apiKey: "sk-test", httpClient: LLMock.httpClient)
        let error = await #expect(throws: ProviderError.self) { _ = try await collect(provider, chat) }
        #expect(error?.code == .rateLimited && error?.status == 429)
        #expect(error?.retryAfter == 1)
        #expect(error?.isRetryable == true)
    }

    @Test("a truncated stream is streamBroken")
    func truncated() async throws {
        let mock = try await LLMock(["--stream-fault", "truncate=1.0"])
        defer { mock.stop() }
        let provider = OpenAIProvider(id: "openai", baseURL: mock.openAIBaseURL, apiKey: "sk-test", httpClient: LLMock.httpClient)
        let error = await #expect(throws: ProviderError.self) { _ = try await collect(provider, chat) }
        #expect(error?.code == .streamBroken)
    }
}

@Suite("Simulated provider")
struct SimulatedProviderTests {
    @Test("the same prompt gives the same text, with exact usage")
    func deterministic() async throws {
        let provider = SimulatedProvider()
        var request = chat
        request.maxTokens = 5
        let first = try await collect(provider, request)
        let second = try await collect(provider, request)
        #expect(first.text == second.text)
        #expect(first.text.split(separator: " ").count == 5)
        #expect(first.usage == TokenUsage(promptTokens: 5, completionTokens: 5))
    }

    @Test("failure injection fails every request at rate 1")
    func failures() async throws {
        let provider = SimulatedProvider(configuration: .init(failureRate: 1))
        let error = await #expect(throws: ProviderError.self) { _ = try await collect(provider, chat) }
        #expect(error?.code == .unavailable)
    }
}
