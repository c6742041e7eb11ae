import Foundation

/// What one request (job) used, as the provider reported it: the usage log's row.
public struct Usage: Sendable, Hashable, Codable {
    public var userId: String
    public var jobId: String
    /// `chat`, `completion`, `embedding`, `video`, …
    public var requestKind: String
    public var provider: String
    public var model: String
    public var promptTokens: Int64
    public var completionTokens: Int64
    /// Whether the token counts are the provider's (exact) or Relay's estimate.
    public var tokensExact: Bool
    /// The credits to bill; `nil`: priced from the model's price per million tokens.
    public var credits: Credits?
    public var latencyMilliseconds: Int32?
    /// `completed` for a settled request.
    public var status: String
    public var fallbackUsed: Bool
    public var startedAt: Date?
    public var finishedAt: Date?

    public init(
        userId: String,
        jobId: String,
        requestKind: String = "chat",
        provider: String,
        model: String,
        promptTokens: Int64 = 0,
        completionTokens: Int64 = 0,
        tokensExact: Bool = true,
        credits: Credits? = nil,
        latencyMilliseconds: Int32? = nil,
        status: String = "completed",
        fallbackUsed: Bool = false,
        startedAt: Date? = nil,
        finishedAt: Date? = nil
    ) {
        self.userId = userId
        self.jobId = jobId
        self.requestKind = requestKind
        self.provider = provider
        self.model = model
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.tokensExact = tokensExact
        self.credits = credits
        self.latencyMilliseconds = latencyMilliseconds
        self.status = status
        self.fallbackUsed = fallbackUsed
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }

    func validate() throws {
        guard !userId.isEmpty, !jobId.isEmpty else {
            throw LedgerError(.invalidArgument, "usage needs a user id and a job id")
        }
        guard promptTokens >= 0, completionTokens >= 0, (credits?.micros ?? 0) >= 0 else {
            throw LedgerError(.invalidArgument, "token counts and credits cannot be negative")
        }
    }
}
