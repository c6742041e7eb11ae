import RelayJSON

/// A provider that needs no network: deterministic text, configurable latency and speed, injected failures.
/// The default when no API key is set, and the load generator for benchmarks.
public struct SimulatedProvider: LLMProvider {
    public struct Configuration: Sendable, Hashable {
        /// Wait before the first token.
        public var latency: Duration
        /// Tokens per second after the first; nil streams as fast as possible.
        public var tokensPerSecond: Double?
        /// Share of requests that fail with a 503-like error, 0…1.
        public var failureRate: Double
        /// Tokens generated when the request sets no `maxTokens`.
        public var defaultTokens: Int

        public init(latency: Duration = .zero, tokensPerSecond: Double? = nil, failureRate: Double = 0, defaultTokens: Int = 16) {
            self.latency = latency
            self.tokensPerSecond = tokensPerSecond
            self.failureRate = failureRate
            self.defaultTokens = defaultTokens
        }
    }

    public let id: String
    public let configuration: Configuration

    public init(id: String = "simulated", configuration: Configuration = Configuration()) {
        self.id = id
        self.configuration = configuration
    }

    private static let words = [
        "relay", "queues", "every", "request", "to", "a", "worker", "that", "streams", "the", "answer", "back",
        "through", "redis", "while", "credits", "are", "settled", "once",
    ]

    public func stream(_ request: LLMRequest) async throws -> AsyncThrowingStream<ProviderEvent, any Error> {
        if configuration.failureRate > 0, Double.random(in: 0..<1) < configuration.failureRate {
            throw ProviderError(.unavailable, provider: id, status: 503, message: "simulated failure")
        }
        if request.kind == .embedding {
            let vectors = (request.input ?? []).map(Self.embedding)
            let usage = TokenUsage.estimate(prompt: request.promptText, completion: "")
            return AsyncThrowingStream { continuation in
                continuation.yield(.embeddings(vectors))
                continuation.yield(.usage(TokenUsage(promptTokens: usage.promptTokens, completionTokens: 0)))
                continuation.finish()
            }
        }
        let configuration = self.configuration
        let id = self.id
        let count = max(1, request.maxTokens ?? configuration.defaultTokens)
        let seed = Self.seed(request.promptText)
        let promptTokens = TokenUsage.estimate(prompt: request.promptText, completion: "").promptTokens
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    if configuration.latency > .zero { try await Task.sleep(for: configuration.latency) }
                    for index in 0..<count {
                        if index > 0, let rate = configuration.tokensPerSecond, rate > 0 {
                            try await Task.sleep(for: .seconds(1 / rate))
                        }
                        try Task.checkCancellation()
                        let word = Self.words[Int((seed &+ UInt64(index) &* 2_654_435_761) % UInt64(Self.words.count))]
                        continuation.yield(.text(index == 0 ? word : " " + word))
                    }
                    continuation.yield(.finish(request.maxTokens == nil ? "stop" : "length"))
                    continuation.yield(.usage(TokenUsage(promptTokens: promptTokens, completionTokens: count)))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: ProviderError(.cancelled, provider: id, message: "cancelled"))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private static func seed(_ text: String) -> UInt64 {
        text.utf8.reduce(14_695_981_039_346_656_037) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
    }

    private static func embedding(_ text: String) -> [Double] {
        var state = seed(text)
        return (0..<8).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1
            return Double(state >> 11) / Double(1 << 53) * 2 - 1
        }
    }
}
