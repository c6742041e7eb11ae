/// A Lua script run with EVALSHA; the client loads it by SHA and reloads it when the server answers NOSCRIPT.
public struct RedisScript: Sendable, Hashable {
    /// A name for logs and errors.
    public let name: String
    public let source: String

    public init(name: String, source: String) {
        self.name = name
        self.source = source
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
