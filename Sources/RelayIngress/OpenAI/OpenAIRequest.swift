import RelayJSON
import RelayProviders

/// A request to the OpenAI-compatible API, read into an ``LLMRequest``.
struct OpenAIRequest: Sendable {
    var request: LLMRequest
    var stream: Bool
    var includeUsage: Bool
    /// `float` or `base64` (embeddings).
    var encodingFormat: String

    static func chat(_ body: JSONValue) throws -> OpenAIRequest {
        var request = LLMRequest(kind: .chat, model: try RequestParsing.model(body["model"]))
        request.messages = try RequestParsing.messages(body["messages"])
        request.maxTokens =
            try RequestParsing.positiveInt(body["max_completion_tokens"], field: "max_completion_tokens")
            ?? RequestParsing.positiveInt(body["max_tokens"], field: "max_tokens")
        request.temperature = try RequestParsing.temperature(body["temperature"])
        try refuseChoices(body)
        return OpenAIRequest(
            request: request, stream: try RequestParsing.bool(body["stream"], field: "stream", default: false),
            includeUsage: try includeUsage(body), encodingFormat: "float"
        )
    }

    static func completion(_ body: JSONValue) throws -> OpenAIRequest {
        var request = LLMRequest(kind: .completion, model: try RequestParsing.model(body["model"]))
        switch body["prompt"] {
        case .string(let prompt)?: request.prompt = prompt
        case .array(let prompts)? where prompts.count == 1 && prompts[0].stringValue != nil: request.prompt = prompts[0].stringValue
        default: throw IngressError(.invalidRequest, "'prompt' must be a string (or an array of one string)")
        }
        request.maxTokens = try RequestParsing.positiveInt(body["max_tokens"], field: "max_tokens") ?? 16
        request.temperature = try RequestParsing.temperature(body["temperature"])
        try refuseChoices(body)
        return OpenAIRequest(
            request: request, stream: try RequestParsing.bool(body["stream"], field: "stream", default: false),
            includeUsage: try includeUsage(body), encodingFormat: "float"
        )
    }

    static func embedding(_ body: JSONValue) throws -> OpenAIRequest {
        var request = LLMRequest(kind: .embedding, model: try RequestParsing.model(body["model"]))
        request.input = try RequestParsing.inputs(body["input"])
        let format = body["encoding_format"]?.stringValue ?? "float"
        guard format == "float" || format == "base64" else {
            throw IngressError(.invalidRequest, "'encoding_format' must be float or base64")
        }
        return OpenAIRequest(request: request, stream: false, includeUsage: false, encodingFormat: format)
    }

    private static func includeUsage(_ body: JSONValue) throws -> Bool {
        guard let options = body["stream_options"], options != .null else { return false }
        return try RequestParsing.bool(options["include_usage"], field: "stream_options.include_usage", default: false)
    }

    private static func refuseChoices(_ body: JSONValue) throws {
        if let n = body["n"], n != .null, n.intValue != 1 {
            throw IngressError(.invalidRequest, "only n = 1 is supported")
        }
    }
}
