import RelayJSON

/// What a provider streams back.
public enum ProviderEvent: Sendable, Hashable {
    /// A piece of generated text.
    case text(String)
    /// Embedding vectors, one per input, in order.
    case embeddings([[Double]])
    /// Token counts, from the provider, or estimated when it sent none.
    case usage(TokenUsage)
    /// Why generation stopped (`stop`, `length`, …), in OpenAI's words.
    case finish(String)
}

/// Token counts of one request.
public struct TokenUsage: Sendable, Hashable, Codable {
    public var promptTokens: Int
    public var completionTokens: Int
    /// True when Relay estimated the counts because the provider's own never arrived.
    public var estimated: Bool

    public var totalTokens: Int { promptTokens + completionTokens }

    public init(promptTokens: Int, completionTokens: Int, estimated: Bool = false) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.estimated = estimated
    }

    /// The documented estimate: one token per four UTF-8 bytes, rounded up, at least one per non-empty text.
    public static func estimate(prompt: String, completion: String) -> TokenUsage {
        func tokens(_ text: String) -> Int { text.isEmpty ? 0 : (text.utf8.count + 3) / 4 }
        return TokenUsage(promptTokens: tokens(prompt), completionTokens: tokens(completion), estimated: true)
    }
}
