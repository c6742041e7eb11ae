/// A Lua script run with EVALSHA; the client loads it by SHA and reloads it when the server answers NOSCRIPT.
public struct RedisScript: Sendable, Hashable {
    /// A name for logs and errors.
    public let name: String
    public let source: String
    /// The source's hash, computed once: clients look scripts up on every call and a script is kilobytes long.
    private let fingerprint: Int

    public init(name: String, source: String) {
        self.name = name
        self.source = source
        self.fingerprint = source.hashValue
    }

    public static func == (lhs: RedisScript, rhs: RedisScript) -> Bool {
        lhs.fingerprint == rhs.fingerprint && lhs.name == rhs.name && lhs.source == rhs.source
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(fingerprint)
    }
}

extension RedisCommand {
    /// `EVALSHA sha numkeys keys… arguments…`, for scripts sent in pipelines and transactions.
    public static func evalsha(
        _ sha: String,
        keys: [any RedisArgumentConvertible],
        arguments: [any RedisArgumentConvertible]
    ) -> RedisCommand {
        RedisCommand("EVALSHA", arguments: [sha, keys.count] + keys + arguments)
    }
}
