/// How a routed request ended: which provider answered, with what, after how much trying.
public struct RouteResult: Sendable, Hashable {
    public var provider: String
    /// True when the provider that answered was not the first choice.
    public var fallbackUsed: Bool
    public var text: String
    public var embeddings: [[Double]]?
    public var finishReason: String?
    /// The provider's usage, or the documented estimate (marked) when it sent none.
    public var usage: TokenUsage
    public var attempts: Int
}

/// Every provider of a request's chain failed (or was skipped with an open circuit).
public struct AllProvidersFailedError: Error, Sendable, CustomStringConvertible {
    public let errors: [ProviderError]

    public var description: String {
        "all providers failed: " + errors.map(\.description).joined(separator: "; ")
    }
}
