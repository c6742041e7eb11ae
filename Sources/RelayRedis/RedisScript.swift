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
