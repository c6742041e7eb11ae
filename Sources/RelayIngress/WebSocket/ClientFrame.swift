import RelayJSON
import RelayProviders

/// A client's WebSocket message, parsed: a request, a cancel or a resume.
enum ClientFrame: Sendable {
    case request(id: String, request: LLMRequest, provider: String?, stream: Bool)
    case cancel(id: String)
    case resume(id: String, after: Int)

    /// Why a frame was refused: with the request id when it had one (an error for that id), without (a close).
    struct Refusal: Error, Sendable {
        var id: String?
        var error: IngressError
    }

    /// Provider names every client may use, besides the ids of `workers.yml`.
    static let providerNames: Set<String> = ["openai", "claude", "auto"]

    static func parse(_ text: String, providers: Set<String> = providerNames) throws(Refusal) -> ClientFrame {
        guard let value = try? JSONValue(json: text), case .object = value else {
            throw Refusal(id: nil, error: IngressError(.invalidRequest, "a message must be a JSON object"))
        }
        guard let id = value["id"]?.stringValue, !id.isEmpty, id.utf8.count <= 256 else {
            throw Refusal(id: nil, error: IngressError(.invalidRequest, "a message needs an 'id' string of 1 to 256 bytes"))
        }
        do {
            return try parse(value, id: id, providers: providers)
        } catch let error as IngressError {
            throw Refusal(id: id, error: error)
        } catch {
            throw Refusal(id: id, error: IngressError(.invalidRequest, "the message is malformed"))
        }
    }

    private static func parse(_ value: JSONValue, id: String, providers: Set<String>) throws -> ClientFrame {
        guard let type = value["type"]?.stringValue else {
            throw IngressError(.invalidRequest, "'type' must be one of chat, completion, embedding, cancel, resume")
        }
        switch type {
        case "cancel":
            return .cancel(id: id)
        case "resume":
            guard let after = value["after"]?.intValue ?? (value["after"] == nil ? 0 : nil), after >= 0 else {
                throw IngressError(.invalidRequest, "'after' must be a sequence number of at least 0")
            }
            return .resume(id: id, after: after)
        case "chat", "completion", "embedding":
            let kind = LLMRequest.Kind(rawValue: type)!
            let model = try RequestParsing.model(value["model"])
            var request = LLMRequest(kind: kind, model: model)
            switch kind {
            case .chat: request.messages = try RequestParsing.messages(value["messages"])
            case .completion:
                guard let prompt = value["prompt"]?.stringValue else {
                    throw IngressError(.invalidRequest, "'prompt' must be a string")
                }
                request.prompt = prompt
            case .embedding: request.input = try RequestParsing.inputs(value["input"])
            }
            request.maxTokens = try RequestParsing.positiveInt(value["maxTokens"], field: "maxTokens")
            request.temperature = try RequestParsing.temperature(value["temperature"])
            let stream = try RequestParsing.bool(value["stream"], field: "stream", default: true)
            var provider: String?
            if let name = value["provider"], name != .null {
                guard let text = name.stringValue, providers.contains(text) else {
                    throw IngressError(.invalidRequest, "'provider' must be one of openai, claude, auto")
                }
                provider = text
            }
            return .request(id: id, request: request, provider: provider, stream: stream)
        default:
            throw IngressError(.invalidRequest, "unknown type '\(type.prefix(64))'")
        }
    }
}
