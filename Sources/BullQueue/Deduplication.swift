/// Deduplication: while a job with the same id is unfinished (or within `ttl`), adding again returns it.
public struct Deduplication: Sendable, Hashable {
    public var id: String
    /// Milliseconds the deduplication lasts (throttle); nil until the owner finishes.
    public var ttl: Int?
    /// Re-arm the ttl on each duplicate (debounce).
    public var extend: Bool

    public init(id: String, ttl: Int? = nil, extend: Bool = false) {
        self.id = id
        self.ttl = ttl
        self.extend = extend
    }

    init(json: JSONValue) throws {
        guard let id = json["id"]?.stringValue, !id.isEmpty else {
            throw QueueError(.invalidOptions, "'deduplication.id' must be a non-empty string")
        }
        if json["replace"]?.boolValue == true || json["keepLastIfActive"]?.boolValue == true {
            throw QueueError(.invalidOptions, "'deduplication.replace' and 'keepLastIfActive' are not supported yet")
        }
        self.init(id: id, ttl: json["ttl"]?.intValue, extend: json["extend"]?.boolValue ?? false)
    }

    var json: JSONValue {
        var object: [String: JSONValue] = ["id": .string(id)]
        if let ttl { object["ttl"] = .int(ttl) }
        if extend { object["extend"] = .bool(true) }
        return .object(object)
    }
}
