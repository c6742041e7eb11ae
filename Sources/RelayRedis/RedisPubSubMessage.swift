import NIOCore

/// A message published on a channel.
public struct RedisPubSubMessage: Sendable, Hashable {
    /// The channel it was published on.
    public let channel: String
    /// The pattern that matched, for pattern subscriptions.
    public let pattern: String?
    /// The payload, binary-safe.
    public let payload: ByteBuffer

    /// The payload as UTF-8 text.
    public var text: String { String(buffer: payload) }
}
