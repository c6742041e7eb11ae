import RelayJSON

/// One message a worker published on a job's stream.
///
/// Its number and type are read without parsing the whole text (the worker writes compact JSON with sorted keys, so
/// `"seq":` and `"type":"` occur only as top-level keys); the body is parsed when something asks for it, so that
/// the WebSocket relay forwards chunks as the worker wrote them.
public struct JobMessage: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case chunk, embedding, done, error
    }

    public var seq: Int
    public var kind: Kind
    /// The message as the worker wrote it.
    public let text: String

    public init?(json text: String) {
        guard let seq = Self.number("seq", in: text), let type = Self.string("type", in: text), let kind = Kind(rawValue: type)
        else { return nil }
        self.seq = seq
        self.kind = kind
        self.text = text
    }

    public init?(_ body: JSONValue) {
        self.init(json: body.json)
    }

    /// The message, parsed.
    public var body: JSONValue { (try? JSONValue(json: text)) ?? .null }

    /// The message with `"id"` added, for the WebSocket protocol.
    func withID(_ id: String) -> String {
        "{\"id\":" + JSONValue.quoted(id) + (text.count > 2 ? "," : "") + text.dropFirst()
    }

    private static func number(_ key: String, in text: String) -> Int? {
        guard var index = valueStart(of: key, in: text) else { return nil }
        let bytes = text.utf8
        var value = 0
        var digits = 0
        while index < bytes.endIndex, let digit = bytes[index].asciiDigit, digits < 18 {
            value = value * 10 + digit
            digits += 1
            index = bytes.index(after: index)
        }
        return digits > 0 ? value : nil
    }

    private static func string(_ key: String, in text: String) -> String? {
        let bytes = text.utf8
        guard let start = valueStart(of: key, in: text), start < bytes.endIndex, bytes[start] == UInt8(ascii: "\"") else {
            return nil
        }
        let from = bytes.index(after: start)
        guard let end = bytes[from...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return String(decoding: bytes[from..<end], as: UTF8.self)
    }

    /// Where the value of the last `"key":` in `text` begins (scanning bytes, without Foundation's string search).
    private static func valueStart(of key: String, in text: String) -> String.UTF8View.Index? {
        let pattern = Array("\"\(key)\":".utf8)
        let bytes = Array(text.utf8)
        guard bytes.count >= pattern.count else { return nil }
        var position = bytes.count - pattern.count
        while position >= 0 {
            if bytes[position] == pattern[0], bytes[position..<position + pattern.count].elementsEqual(pattern) {
                return text.utf8.index(text.utf8.startIndex, offsetBy: position + pattern.count)
            }
            position -= 1
        }
        return nil
    }

    public var isTerminal: Bool { kind == .done || kind == .error }

    /// The text of a chunk.
    public var chunkText: String? { body["data"]?.stringValue }

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

extension UInt8 {
    fileprivate var asciiDigit: Int? {
        self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") ? Int(self - UInt8(ascii: "0")) : nil
    }
}
