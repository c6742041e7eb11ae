import RelayJSON
import RelayProviders

/// What the ingress puts in a job's data for the workers: who asked, and what.
public struct LLMJobPayload: Sendable, Codable, Hashable {
    public var userId: String
    public var request: LLMRequest
    /// A provider id to use first (`openai`, `claude`, …) or `auto`; nil follows the model's route.
    public var provider: String?
    /// The pub/sub channel of the ingress process that added the job (``JobStream/replyTo``); nil: the job's own.
    public var replyTo: String?

    public init(userId: String, request: LLMRequest, provider: String? = nil, replyTo: String? = nil) {
        self.userId = userId
        self.request = request
        self.provider = provider
        self.replyTo = replyTo
    }
}

extension LLMJobPayload {
    /// The payload as job data, with the keys of its `Codable` form.
    public var json: JSONValue {
        var object: [String: JSONValue] = ["userId": .string(userId), "request": request.json]
        if let provider { object["provider"] = .string(provider) }
        if let replyTo { object["replyTo"] = .string(replyTo) }
        return .object(object)
    }

    /// Reads job data ``json`` wrote.
    public init(json: JSONValue) throws {
        guard let userId = json["userId"]?.stringValue, let request = json["request"] else {
            throw LLMRequestFormatError(field: "userId/request")
        }
        self.init(
            userId: userId, request: try LLMRequest(json: request), provider: json["provider"]?.stringValue,
            replyTo: json["replyTo"]?.stringValue
        )
    }
}
