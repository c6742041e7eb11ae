import RelayJSON

/// One message a worker published on a job's stream, parsed.
public struct JobMessage: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case chunk, embedding, done, error
    }

    public var seq: Int
    public var kind: Kind
    /// The message as the worker wrote it.
    public var body: JSONValue

    public init?(json text: String) {
        guard let body = try? JSONValue(json: text) else { return nil }
        self.init(body)
    }

    public init?(_ body: JSONValue) {
        guard let seq = body["seq"]?.intValue, let kind = body["type"]?.stringValue.flatMap(Kind.init) else {
            return nil
        }
        self.seq = seq
        self.kind = kind
        self.body = body
    }

    public var isTerminal: Bool { kind == .done || kind == .error }

    /// The text of a chunk.
    public var text: String? { body["data"]?.stringValue }

    /// The vectors of an embedding message.
    public var embeddings: [[Double]] {
        (body["data"]?.arrayValue ?? []).map { row in
            (row.arrayValue ?? []).compactMap { value -> Double? in
                switch value {
                case .double(let number): return number
                case .int(let number): return Double(number)
                default: return nil
                }
            }
        }
    }

    /// The usage of a `done` message.
    public var usage: TokenCounts {
        TokenCounts(
            prompt: body["usage"]?["promptTokens"]?.intValue ?? 0,
            completion: body["usage"]?["completionTokens"]?.intValue ?? 0,
            estimated: body["usage"]?["estimated"]?.boolValue ?? false
        )
    }

    public var finishReason: String? { body["finishReason"]?.stringValue }

    /// The error of an `error` message.
    public var error: IngressError {
        IngressError.fromWorker(
            code: body["error"]?["code"]?.stringValue ?? "INTERNAL",
            message: body["error"]?["message"]?.stringValue ?? "the request failed"
        )
    }
}

/// Token counts as a `done` message reports them.
public struct TokenCounts: Sendable, Hashable {
    public var prompt: Int
    public var completion: Int
    public var estimated: Bool
    public var total: Int { prompt + completion }
}
