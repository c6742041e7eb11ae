import RelayJSON

/// What a client asked for, independent of any provider's wire format.
public struct LLMRequest: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case chat
        case completion
        case embedding
    }

    public var kind: Kind
    public var model: String
    /// Chat messages (`chat`).
    public var messages: [ChatMessage]?
    /// The prompt (`completion`).
    public var prompt: String?
    /// Texts to embed (`embedding`).
    public var input: [String]?
    public var maxTokens: Int?
    public var temperature: Double?
    /// Provider-specific fields passed through unchanged (OpenAI and compatible servers only).
    public var extra: [String: JSONValue]?

    public init(
        kind: Kind, model: String, messages: [ChatMessage]? = nil, prompt: String? = nil, input: [String]? = nil,
        maxTokens: Int? = nil, temperature: Double? = nil, extra: [String: JSONValue]? = nil
    ) {
        self.kind = kind
        self.model = model
        self.messages = messages
        self.prompt = prompt
        self.input = input
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.extra = extra
    }

    /// All the text a provider reads, for estimating prompt tokens.
    var promptText: String {
        switch kind {
        case .chat: return (messages ?? []).map(\.content).joined(separator: "\n")
        case .completion: return prompt ?? ""
        case .embedding: return (input ?? []).joined(separator: "\n")
        }
    }
}

/// One message of a chat.
public struct ChatMessage: Sendable, Hashable, Codable {
    /// `system`, `developer`, `user`, `assistant` or `tool`.
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}
