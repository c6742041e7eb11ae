import RelayJSON

extension LLMRequest {
    /// The request as JSON, with the keys its `Codable` form has (absent options left out); built directly, since
    /// every job carries one and `JSONEncoder` costs several times more.
    public var json: JSONValue {
        var object: [String: JSONValue] = ["kind": .string(kind.rawValue), "model": .string(model)]
        if let messages {
            object["messages"] = .array(messages.map { ["role": .string($0.role), "content": .string($0.content)] })
        }
        if let prompt { object["prompt"] = .string(prompt) }
        if let input { object["input"] = .array(input.map(JSONValue.string)) }
        if let maxTokens { object["maxTokens"] = .int(maxTokens) }
        if let temperature { object["temperature"] = .double(temperature) }
        if let extra { object["extra"] = .object(extra) }
        return .object(object)
    }

    /// Reads the JSON ``json`` writes (the `Codable` form).
    public init(json: JSONValue) throws {
        guard case .object(let object) = json, let kind = object["kind"]?.stringValue.flatMap(Kind.init(rawValue:)),
            let model = object["model"]?.stringValue
        else { throw LLMRequestFormatError(field: "kind/model") }
        self.init(kind: kind, model: model)
        if let messages = object["messages"], messages != .null {
            guard let items = messages.arrayValue else { throw LLMRequestFormatError(field: "messages") }
            self.messages = try items.map { item in
                guard let role = item["role"]?.stringValue, let content = item["content"]?.stringValue else {
                    throw LLMRequestFormatError(field: "messages")
                }
                return ChatMessage(role: role, content: content)
            }
        }
        prompt = try Self.optional(object["prompt"], "prompt") { $0.stringValue }
        input = try Self.optional(object["input"], "input") { $0.arrayValue.map { $0.compactMap(\.stringValue) } }
        maxTokens = try Self.optional(object["maxTokens"], "maxTokens") { $0.intValue }
        temperature = try Self.optional(object["temperature"], "temperature") { value in
            switch value {
            case .double(let number): return number
            case .int(let number): return Double(number)
            default: return nil
            }
        }
        if let extra = object["extra"], extra != .null {
            guard case .object(let fields) = extra else { throw LLMRequestFormatError(field: "extra") }
            self.extra = fields
        }
    }

    private static func optional<T>(_ value: JSONValue?, _ field: String, _ read: (JSONValue) -> T?) throws -> T? {
        guard let value, value != .null else { return nil }
        guard let result = read(value) else { throw LLMRequestFormatError(field: field) }
        return result
    }
}

/// A job's request whose JSON lacks a field or has one of the wrong type.
public struct LLMRequestFormatError: Error, Sendable, Hashable {
    public let field: String

    public init(field: String) {
        self.field = field
    }
}
