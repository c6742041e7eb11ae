import NIOCore

/// A message published on a channel, or a subscription's heartbeat.
public struct RedisPubSubMessage: Sendable, Hashable {
    /// The channel it was published on (empty for a heartbeat).
    public let channel: String
    /// The pattern that matched, for pattern subscriptions.
    public let pattern: String?
    /// The payload, binary-safe.
    public let payload: ByteBuffer
    /// True for the empty message a subscription with a heartbeat gets after each quiet spell.
    public let isHeartbeat: Bool

    init(channel: String, pattern: String?, payload: ByteBuffer, isHeartbeat: Bool = false) {
        self.channel = channel
        self.pattern = pattern
        self.payload = payload
        self.isHeartbeat = isHeartbeat
    }

    /// The payload as UTF-8 text.
    public var text: String { String(buffer: payload) }
}
