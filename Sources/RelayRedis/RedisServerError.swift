/// An error reply from the Redis server, such as `WRONGTYPE …` or `NOSCRIPT …`.
public struct RedisServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The server's full message.
    public let message: String

    public init(message: String) {
        self.message = message
    }

    /// The error's prefix, the first word of the message: `ERR`, `WRONGTYPE`, `NOSCRIPT`, `BUSYGROUP`, …
    public var code: String {
        String(message.prefix { $0 != " " })
    }

    public var description: String { "Redis error: \(message)" }
}
