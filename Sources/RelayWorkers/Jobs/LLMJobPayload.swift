import RelayProviders

/// What the ingress puts in a job's data for the workers: who asked, and what.
public struct LLMJobPayload: Sendable, Codable, Hashable {
    public var userId: String
    public var request: LLMRequest
    /// A provider id to use first (`openai`, `claude`, …) or `auto`; nil follows the model's route.
    public var provider: String?

    public init(userId: String, request: LLMRequest, provider: String? = nil) {
        self.userId = userId
        self.request = request
        self.provider = provider
    }
}
